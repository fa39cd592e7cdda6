// Float64 CPU reference for webrnn: the ground truth the GPU kernels are tested against.
export * from './activations.js';
export * from './dense.js';
export * from './embedding.js';
export * from './losses.js';
export * from './matmul.js';
export * from './optimizers.js';
export * from './random.js';
export * from './shapes.js';
export * from './recurrent.js';
export * from './cells/index.js';
export * from './finite-diff.js';
