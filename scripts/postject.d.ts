/** postject ships no types: the one function scripts/package.ts calls (github.com/nodejs/postject, README "API"). */
declare module 'postject' {
  export function inject(
    file: string,
    resourceName: string,
    resourceData: Buffer,
    options: { sentinelFuse: string; overwrite?: boolean },
  ): Promise<void>;
}
