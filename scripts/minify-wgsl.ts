// Build-time WGSL minifier for the shaders bundled with the library: what a browser downloads is the
// kernels' code, not their commentary. Every line stays where it was (a compile error still names the
// file's line), and the program means exactly what it did:
//   - comments, indentation and every space that does not separate two tokens are removed (a space
//     stays between two word characters and where dropping it would make a new token: `a - -b`,
//     `x / *p`, `a < <b`);
//   - identifiers the shaders declare are renamed to short ones, one bijection over all files (so a
//     file joined after another still finds its names). Entry points and override constants keep their
//     names (the host refers to them), and so do names that could be read as something else: swizzles,
//     builtin values, attributes and their arguments. Bindings are bound by number and `dims` is packed
//     by offset (reflection runs on the files as written), so their names may change.

const TOKEN = /0[xX][0-9a-fA-F]+[iu]?|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[fhiu]?|[A-Za-z_]\w*|\s+|./g;
const WORD = /^\w/;
/** Two-character tokens (and comment openers) that a removed space must not create. */
const JOINED = new Set(['->', '&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '//', '/*', '*/']);
const SWIZZLE = /^([xyzw]{1,4}|[rgba]{1,4})$/;
const DECLARING = new Set(['fn', 'let', 'var', 'const', 'struct', 'alias']);
/** WGSL's keywords: `default:` looks like a declaration to the scan below. */
const KEYWORDS = new Set(
  'alias break case const const_assert continue continuing default diagnostic discard else enable false fn for if let loop override requires return struct switch true var while'.split(' '),
);

function tokens(line: string): string[] {
  return line.match(TOKEN) ?? [];
}

/** The line without comment and without the spaces no token boundary needs. */
function squeeze(line: string): string {
  const parts = tokens(line.replace(/\/\/.*$/, '').trim());
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (!/^\s/.test(part)) {
      out += part;
      continue;
    }
    const left = out[out.length - 1] ?? '';
    const right = parts[i + 1]?.[0] ?? '';
    if ((WORD.test(left) && WORD.test(right)) || JOINED.has(left + right)) out += ' ';
  }
  return out;
}

/** Names the shaders declare: after fn / let / var / const / struct / alias, and before ':' (parameters, members). */
function declaredNames(code: string[], keep: ReadonlySet<string>): Map<string, number> {
  const counts = new Map<string, number>();
  const declared = new Set<string>();
  for (const text of code) {
    const parts = tokens(text).filter((t) => !/^\s/.test(t));
    for (let i = 0; i < parts.length; i++) {
      const t = parts[i];
      if (!/^[A-Za-z_]/.test(t)) continue;
      counts.set(t, (counts.get(t) ?? 0) + 1);
      const before = parts[i - 1];
      if (before === '@' || (parts[i - 2] === '@' && before === '(')) continue;
      let declarer = before;
      if (before === '>') {
        // var<storage, read_write> name
        let j = i - 1;
        while (j > 0 && parts[j] !== '<') j--;
        declarer = parts[j - 1];
      }
      if (DECLARING.has(declarer) || parts[i + 1] === ':') declared.add(t);
    }
  }
  const renamable = new Map<string, number>();
  for (const name of declared) if (!keep.has(name) && !KEYWORDS.has(name) && !SWIZZLE.test(name)) renamable.set(name, counts.get(name)!);
  return renamable;
}

function* shortNames(taken: ReadonlySet<string>): Generator<string> {
  for (let n = 0; ; n++) {
    const name = `_${n.toString(36)}`;
    if (!taken.has(name)) yield name;
  }
}

/**
 * Minified sources, by file. `keep` holds the names the host uses (entry points, override constants);
 * builtin value names, attribute arguments and access modes are never declared by the shaders, so they
 * are never renamed.
 */
export function minifyWgsl(files: Readonly<Record<string, string>>, keep: ReadonlySet<string>): Record<string, string> {
  const squeezed = Object.fromEntries(Object.entries(files).map(([file, source]) => [file, source.split('\n').map(squeeze)]));
  const renamable = declaredNames(Object.values(squeezed).flat(), keep);
  const everyToken = new Set(Object.values(squeezed).flat().flatMap(tokens));
  const names = shortNames(everyToken);
  const rename = new Map<string, string>();
  for (const [name] of [...renamable].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    const short = names.next().value!;
    if (short.length < name.length) rename.set(name, short);
  }
  return Object.fromEntries(
    Object.entries(squeezed).map(([file, lines]) => [
      file,
      lines.map((line) => tokens(line).map((t, i, all) => (all[i - 1] === '@' ? t : rename.get(t) ?? t)).join('')).join('\n'),
    ]),
  );
}
