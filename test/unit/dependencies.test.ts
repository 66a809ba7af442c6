/**
 * No dead dependency: every package declared in package.json is imported somewhere in the tree (or is a tool run
 * from an npm script or the CI script). A declared package nothing uses fails here.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/engine/paths.js';

const root = packageRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

const code = ['src', 'test', 'bench', 'scripts', 'bin'].flatMap((d) => sources(join(root, d))).map((f) => readFileSync(f, 'utf8'));
code.push(readFileSync(join(root, 'vitest.config.ts'), 'utf8'));
const imported = (name: string) => code.some((text) => new RegExp(`from '${name}(/[^']*)?'|import\\('${name}(/[^']*)?'\\)`).test(text));
/** Packages used as commands (npm scripts, .ci/run) rather than imported. */
const commandText = [...Object.values(pkg.scripts), readFileSync(join(root, '.ci', 'run'), 'utf8')].join('\n');
const TOOLS: Record<string, string> = { typescript: 'tsc', vitest: 'vitest', '@biomejs/biome': 'biome', '@types/node': '' };

describe('declared dependencies', () => {
  it('every runtime dependency is imported by the product', () => {
    const product = ['src', 'bin'].flatMap((d) => sources(join(root, d))).map((f) => readFileSync(f, 'utf8'));
    const unused = Object.keys(pkg.dependencies).filter(
      (n) => !product.some((t) => t.includes(`from '${n}'`) || t.includes(`from '${n}/`)),
    );
    expect(unused).toEqual([]);
  });

  it('every development dependency is imported or run as a command', () => {
    const unused = Object.keys(pkg.devDependencies).filter((n) => {
      if (n in TOOLS) return TOOLS[n] !== '' && !new RegExp(`\\b${TOOLS[n]}\\b`).test(commandText);
      return !imported(n);
    });
    expect(unused).toEqual([]);
  });
});
