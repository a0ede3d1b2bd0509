// Class names in a bundle, for a build without esbuild's keepNames.
//
// keepNames wraps every function and class in a `__name()` call that defines its `name`: on a
// closure made per connection that is a property store of its own (about 1.5 KiB of heap per
// idle `-l -k` connection, measured with a heap snapshot). Without it, a class's runtime name is
// the one the bundle gives it, and esbuild renames a class whose name collides with another
// module's (`DatagramInbox2 = class`) or that refers to itself (`Tube = class _Tube`). Class
// names are part of the API (error.name, instanceof across copies: src/errors.ts), so the build
// checks that every class in the bundle keeps a name from the sources.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const IDENTIFIER = '[A-Za-z_$][\\w$]*';

/** Every name after `class` in the TypeScript sources under `dir`. */
export function sourceClassNames(dir) {
  const names = new Set();
  for (const file of readdirSync(dir, { recursive: true })) {
    if (!String(file).endsWith('.ts')) continue;
    const text = readFileSync(join(dir, String(file)), 'utf8');
    for (const match of text.matchAll(new RegExp(`\\bclass\\s+(${IDENTIFIER})`, 'g'))) {
      if (match[1] !== 'extends' && match[1] !== 'implements') names.add(match[1]);
    }
  }
  return names;
}

/**
 * The runtime names of the classes a bundle defines (`X = class [Y]`, `class Y {`, `class Y
 * extends`) that are not in `known`: each is a class the bundler renamed.
 */
export function renamedClasses(bundle, known) {
  const renamed = new Set();
  const assigned = new RegExp(`\\b(${IDENTIFIER})\\s*=\\s*class(?:\\s+(${IDENTIFIER}))?\\b`, 'g');
  for (const match of bundle.matchAll(assigned)) {
    const own = match[2] === 'extends' ? undefined : match[2];
    const name = own ?? match[1];
    if (!known.has(name)) renamed.add(name);
  }
  const declared = new RegExp(`^\\s*class\\s+(${IDENTIFIER})\\s*(?:\\{|extends\\b)`, 'gm');
  for (const match of bundle.matchAll(declared)) {
    if (!known.has(match[1])) renamed.add(match[1]);
  }
  return [...renamed];
}
