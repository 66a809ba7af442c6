import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderTemplate, TemplateError } from '../../../src/render/template.js';

describe('renderTemplate', () => {
  it('quotes values so hostile strings cannot break YAML, JSON or TOML', () => {
    const evil = 'a"b\'c: {d}\n- e # f\\';
    const y = renderTemplate('key: {{ v }}\nother: 1\n', { v: evil }, 'yaml');
    expect(parse(y)).toEqual({ key: evil, other: 1 });
    const j = renderTemplate('{"k": {{ v }}}', { v: evil }, 'json');
    expect(JSON.parse(j).k).toBe(evil);
    const t = renderTemplate('k = {{ v }}\n', { v: 'x"y' }, 'toml');
    expect(t).toBe('k = "x\\"y"\n');
  });

  it('emits numbers and booleans bare, lists as flow sequences', () => {
    expect(renderTemplate('a: {{ n }}\nb: {{ b }}\nc: {{ l }}\n', { n: 3, b: false, l: ['x', 'y'] }, 'yaml')).toBe(
      'a: 3\nb: false\nc: ["x","y"]\n',
    );
  });

  it('each/if/unless/else with standalone block lines removed', () => {
    const src =
      'list:\n{{#each items}}\n  - {{ name }}\n{{#if extra}}\n    # extra {{ . }}\n{{/if}}\n{{/each}}\n{{#unless items}}\nnone\n{{else}}\nsome\n{{/unless}}\n';
    expect(renderTemplate(src, { items: [{ name: 'a', extra: true }, { name: 'b' }] }, 'text')).toBe(
      'list:\n  - a\n    # extra [object Object]\n  - b\nsome\n',
    );
    expect(renderTemplate(src, { items: [] }, 'text')).toBe('list:\nnone\n');
  });

  it('outer names stay visible inside each', () => {
    expect(renderTemplate('{{#each xs}}{{ p }}{{ . }};{{/each}}', { p: '>', xs: ['1', '2'] }, 'text')).toBe('>1;>2;');
  });

  it('fails on missing values, bad nesting, newline in text, invalid YAML', () => {
    expect(() => renderTemplate('{{ nope }}', {}, 'yaml')).toThrow(/no value for \{\{ nope \}\}/);
    expect(() => renderTemplate('{{#if a}}x', { a: 1 }, 'text')).toThrow(TemplateError);
    expect(() => renderTemplate('{{#if a}}x{{/each}}', { a: 1 }, 'text')).toThrow(/unexpected/);
    expect(() => renderTemplate('k = {{ v }}', { v: 'a\nb' }, 'text')).toThrow(/line break/);
    expect(() => renderTemplate('a: [\n', {}, 'yaml')).toThrow(/invalid/);
  });
});
