// Node reads a bundle as UTF-8, and one character outside ASCII anywhere in it makes the whole
// file a two-byte string: reading it took 6-12 ms instead of 3 for the 844 KB worker bundle, and
// hashing it for the code cache and compiling it cost more too. esbuild escapes such characters in
// strings, templates and regular expressions; the comments it keeps (a class member's JSDoc) still
// have them. Each becomes one ASCII character, so every column the source map names stays where it
// was; one found outside a comment stops the build rather than be changed.
const ASCII_FOR = new Map([['\u2026', '.'], ['\u2014', '-'], ['\u2013', '-'], ['\u2192', '>'], ['\u2190', '<'], ['\u2264', '<'], ['\u2265', '>'], ['\u00d7', 'x']]);

export function asciiComments(text, file) {
  return text.replace(/[^\x00-\x7f]/g, (ch, at) => {
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const before = text.slice(lineStart, at);
    if (!/^\s*(\/\*|\*)/.test(before) && !before.includes('//')) {
      const line = text.slice(0, at).split('\n').length;
      throw new Error(`${file}:${line}: a character outside ASCII that is not in a comment`);
    }
    return ASCII_FOR.get(ch) ?? '?';
  });
}
