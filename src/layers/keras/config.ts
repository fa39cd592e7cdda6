// Keras config values shared by the layers' getConfig(): initializers as { class_name, config }.

import type { InitializerSpec } from '../initializers.js';

const CLASS_NAMES: Record<string, string> = {
  zeros: 'Zeros', ones: 'Ones', constant: 'Constant', random_normal: 'RandomNormal', random_uniform: 'RandomUniform',
  truncated_normal: 'TruncatedNormal', glorot_uniform: 'GlorotUniform', glorot_normal: 'GlorotNormal', he_uniform: 'HeUniform',
  he_normal: 'HeNormal', lecun_uniform: 'LecunUniform', lecun_normal: 'LecunNormal', orthogonal: 'Orthogonal', identity: 'Identity',
  variance_scaling: 'VarianceScaling',
};

/** An initializer as Keras serializes it. */
export function initializerConfig(spec: InitializerSpec): { class_name: string; config: Record<string, unknown> } {
  if (typeof spec === 'string') return { class_name: CLASS_NAMES[spec] ?? spec, config: {} };
  return { class_name: spec.class_name ?? spec.className ?? 'Zeros', config: { ...(spec.config ?? {}) } };
}
