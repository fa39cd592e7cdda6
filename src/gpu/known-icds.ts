/** Known CPU Vulkan drivers on Linux, in order of preference (Node; see requestGpu's `adapter` option). */
export const KNOWN_ICDS: Readonly<Record<string, string>> = {
  lavapipe: '/usr/share/vulkan/icd.d/lvp_icd.json',
  swiftshader: '/usr/lib/chromium/vk_swiftshader_icd.json',
};
