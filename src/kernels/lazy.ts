// Kernel builders that only some models need, loaded on first use: an app whose models have no masks
// (or draw no noise) never downloads their code. Their shaders load lazily anyway (src/gpu/shader-sources.ts).

/** The masking kernels (src/kernels/masking.ts): loaded with the first masked model. */
export const maskingKernels = () => import('./masking.js');

/** The noise kernels (src/kernels/dropout.ts): loaded when a training plan first draws noise. */
export const noiseKernels = () => import('./dropout.js');

/** The attention kernels (src/kernels/attention.ts): loaded with the first model that attends. */
export const attentionKernels = () => import('./attention.js');
