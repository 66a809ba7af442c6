/** Pure etcd helpers: versions and tools, command lines, output parsing, manifest flags. */
export * from './version.js';
export * from './flags.js';
export * from './parse.js';
export * from './manifest.js';
