/**
 * The committed grammar is the one the lockfile pins: same package version, same bytes, and the
 * provenance record says so. Also checks that web-tree-sitter accepts its ABI.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getParser } from './helpers/lint';
import { REPO_ROOT } from './helpers/paths';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('grammars/', () => {
  const provenance = JSON.parse(readFileSync(join(REPO_ROOT, 'grammars', 'PROVENANCE.json'), 'utf8'));
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const installed = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'tree-sitter-python', 'package.json'), 'utf8'));

  it('records the pinned tree-sitter-python version', () => {
    assert.equal(provenance.package, 'tree-sitter-python');
    assert.equal(pkg.devDependencies['tree-sitter-python'], provenance.version, 'package.json pins the recorded version exactly');
    assert.equal(installed.version, provenance.version, 'node_modules holds the recorded version (run `npm run grammars` after a bump)');
  });

  it('holds exactly the bytes of that package', () => {
    const committed = join(REPO_ROOT, 'grammars', provenance.file);
    assert.equal(sha256(committed), provenance.sha256);
    assert.equal(sha256(join(REPO_ROOT, 'node_modules', 'tree-sitter-python', 'tree-sitter-python.wasm')), provenance.sha256);
  });

  it('loads in web-tree-sitter and parses Python', async () => {
    const parser = await getParser();
    const tree = parser.parse('class Migration(migrations.Migration):\n    atomic = False\n');
    assert.equal(tree.rootNode.hasError, false);
    tree.delete();
  });
});
