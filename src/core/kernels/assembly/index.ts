// The lab's WebAssembly kernels, one module (AssemblyScript, built by `npm run build:kernels` into
// ../wasm_kernels_wasm.ts). Each works on float32 arrays in tfjs-wasm's heap at the byte addresses it is given.
export { gemm, gemm_part } from './gemm';
export { adam_update } from './adam';
export { attention_forward, attention_backward, attention_forward_part, attention_backward_part } from './attention';
export { layer_norm_forward, layer_norm_backward } from './layernorm';
export { token_logp_forward, token_logp_backward, entropy_forward, entropy_backward } from './token_logp';
export { embedding_forward, embedding_backward } from './embedding';
