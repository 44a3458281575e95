/** A module lookup over sources given as text, by dotted name (`pkg.__init__` marks a package), as base-class.ts reads modules. */
import { moduleClasses, type ModuleClasses } from '../../server/src/analysis/project/base-class';
import { getParser } from './lint';

export async function modules(sources: Record<string, string>): Promise<(module: string) => { classes: ModuleClasses; isPackage: boolean } | null> {
  const parser = await getParser();
  const read = new Map<string, { classes: ModuleClasses; isPackage: boolean }>();
  for (const [name, text] of Object.entries(sources)) {
    const tree = parser.parse(text);
    try {
      const isPackage = name.endsWith('.__init__');
      read.set(isPackage ? name.slice(0, -'.__init__'.length) : name, { classes: moduleClasses(tree.rootNode), isPackage });
    } finally {
      tree.delete();
    }
  }
  return (m) => read.get(m) ?? null;
}
