/**
 * LintOptions.viewFollows: the CLI's plain run lints each file without the project view, then
 * again, with it, for the rules that said they need it. With the option, such a rule stops at its
 * question: the first lint carries none of its findings (the second gives them) and names it among
 * the rules to run again; a rule that asked nothing keeps its findings. Without the option (the
 * editor, a file checked alone) the same rule reports as before. The whole CLI's agreement with the
 * editor is cli-agrees-with-editor.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeFile } from '../server/src/analysis/engine';
import { mergeSettings } from '../server/src/config/settings';
import { getParser } from './helpers/lint';

const RULES = mergeSettings({}).rules;

/** A save loop that adds many-to-many links (a question only the view answers), and a RunPython without reverse_code. */
const LINKS = `from django.db import migrations


def tag_all(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    Tag = apps.get_model("blog", "Tag")
    news = Tag.objects.get(name="news")
    for post in Post.objects.all():
        post.tags.add(news)


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [migrations.RunPython(tag_all)]
`;

async function analysis(viewFollows: boolean) {
  const parser = await getParser();
  const tree = parser.parse(LINKS);
  try {
    return analyzeFile(tree, LINKS, { rules: RULES, batchSize: 1000, name: '0002_tags', ...(viewFollows ? { viewFollows } : {}) }).analysis;
  } finally {
    tree.delete();
  }
}

describe('a rule that needs the view, when a lint with the view follows', () => {
  it('leaves its findings to that lint and names itself to run again', async () => {
    const a = await analysis(true);
    assert.ok(a.viewRules?.includes('unbatched-save-loop'), `viewRules: ${a.viewRules}`);
    assert.ok(a.viewModels?.some((m) => m.startsWith('view:')), `viewModels: ${a.viewModels}`);
    assert.deepEqual(a.findings.filter((f) => f.rule === 'unbatched-save-loop'), []);
  });

  it('keeps the findings of the rules that asked nothing', async () => {
    const a = await analysis(true);
    assert.ok(!a.viewRules?.includes('runpython-no-reverse'));
    assert.equal(a.findings.filter((f) => f.rule === 'runpython-no-reverse').length, 1);
    assert.ok(a.summary, 'the summary is read all the same');
  });

  it('reports as before without the option', async () => {
    const a = await analysis(false);
    assert.equal(a.findings.filter((f) => f.rule === 'unbatched-save-loop').length, 1);
    assert.ok(a.viewRules?.includes('unbatched-save-loop'));
  });
});
