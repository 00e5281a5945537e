// The webgpu backend on a device that binds as many storage buffers per shader as the adapter offers.
//
// tfjs-backend-webgpu 4.22 asks its device for a few raised limits but not maxStorageBuffersPerShaderStage, so
// every program may bind only WebGPU's default of 8 buffers. The in-place Adam (webgpu_adam.ts) binds the moments
// plus a parameter and its gradient per parameter updated, so the limit decides how many parameters one dispatch
// updates: 3 at 8 buffers, 5 at 12 (SwiftShader's adapter; desktop GPUs offer 8 to thousands). This re-registers the
// backend's factory as the package writes it (same adapter, features and limits) with that one limit raised to the
// adapter's. Hosts call it after importing '@tensorflow/tfjs-backend-webgpu' and before choosing a backend; it takes
// the package's WebGPUBackend class so that this module need not import the package (importing it registers a
// backend, which needs navigator.gpu).
import { tf } from '../tf';

type BackendClass = new (device: GPUDevice, adapterInfo?: unknown) => unknown;

/** Replaces the registered 'webgpu' factory with one asking for the adapter's storage-buffer limit. Idempotent. */
export function useLabWebgpuDevice(WebGPUBackend: BackendClass): void {
  const gpu = typeof navigator === 'undefined' ? undefined : navigator.gpu; // Node 20 has no navigator
  if (!gpu || !tf.findBackendFactory('webgpu')) return;
  // Already started: keep it (tf.findBackend would start it, so look in the registry)
  if ((tf.engine() as unknown as { registry: Record<string, unknown> }).registry.webgpu) return;
  tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const lowPower = tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU');
      const adapter = await gpu.requestAdapter({ powerPreference: lowPower ? 'low-power' : 'high-performance' });
      if (!adapter) throw new Error('no WebGPU adapter');
      const features: GPUFeatureName[] = [];
      if (adapter.features.has('timestamp-query')) features.push('timestamp-query');
      if (adapter.features.has('bgra8unorm-storage')) features.push('bgra8unorm-storage');
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures: features,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
          maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        },
      });
      const info = 'info' in adapter ? adapter.info : undefined;
      return new WebGPUBackend(device, info) as never;
    },
    3, // the package's priority
  );
}
