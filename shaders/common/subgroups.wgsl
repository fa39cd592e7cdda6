// The subgroups extension: joined first into the programs that use subgroup operations (WGSL wants
// `enable` before every declaration). The host compiles them only on devices with the feature.
enable subgroups;
