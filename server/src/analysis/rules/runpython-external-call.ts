/**
 * runpython-external-call: RunPython code (or a same-file helper it calls) reaches outside the
 * database — HTTP, e-mail, a task queue, a cloud API, files it writes, a management command, Django's cache. Names
 * are resolved through the file's imports, so `from requests import post` counts and a local
 * function called `send` does not.
 */
import { reportImportedCodeFindings } from './imported-code-findings';
import { callArguments, chainRoot, rangeOf, dottedName, staticString, type Node } from '../syntax';
import { runPythonCode, type UnitNames, walkUnit } from '../runpython-code';
import { snippet, type Rule } from './rule';

type Kind = 'network' | 'e-mail' | 'task queue' | 'cloud API' | 'payment API' | 'file system' | 'management command' | 'cache';

/** Qualified callee -> what it does. A trailing `.*` matches any attribute of the module. */
const CALLS: ReadonlyArray<[RegExp, Kind]> = [
  [/^requests\.(get|post|put|patch|delete|head|options|request|Session|session)$/, 'network'],
  [/^requests\.(api|sessions)\.\w+$/, 'network'],
  [/^httpx\.(get|post|put|patch|delete|head|options|request|stream|Client|AsyncClient)$/, 'network'],
  [/^urllib\.request\.(urlopen|urlretrieve|build_opener)$/, 'network'],
  [/^(urllib2|urllib)\.(urlopen|urlretrieve)$/, 'network'],
  [/^urllib3\.(PoolManager|ProxyManager|request|HTTPConnectionPool|HTTPSConnectionPool)$/, 'network'],
  [/^aiohttp\.(ClientSession|request)$/, 'network'],
  [/^http\.client\.(HTTPConnection|HTTPSConnection)$/, 'network'],
  [/^(httplib|httplib2)\.(HTTPConnection|HTTPSConnection|Http)$/, 'network'],
  [/^socket\.create_connection$/, 'network'],
  [/^ftplib\.(FTP|FTP_TLS)$/, 'network'],
  [/^smtplib\.(SMTP|SMTP_SSL|LMTP)$/, 'e-mail'],
  [/^django\.core\.mail\.(send_mail|send_mass_mail|mail_admins|mail_managers)$/, 'e-mail'],
  [/^boto3\.(client|resource|Session)$/, 'cloud API'],
  [/^boto3\.session\.Session$/, 'cloud API'],
  [/^boto\.(connect_\w+)$/, 'cloud API'],
  // Payment services' resources (`stripe.Plan.retrieve(…)`, `stripe.Product.create(…)`; review 54: squarelet
  // `organizations/0051` deletes plans and products at Stripe from RunPython).
  [/^(stripe|braintree)\.[A-Z]\w*\.\w+$/, 'payment API'],
  // Code hosts' API clients (review 29: MetaDeploy `0087` logs in to GitHub with github3 for each plan).
  [/^github3\.(login|GitHub|GitHubEnterprise|enterprise_login)$/, 'network'],
  [/^github\.Github$/, 'network'],
  [/^gitlab\.Gitlab$/, 'network'],
  [/^django_rq\.enqueue$/, 'task queue'],
  [/^django_q\.tasks\.(async_task|async_chain|schedule)$/, 'task queue'],
  [/^celery\.(current_app|shared_task)\.send_task$/, 'task queue'],
  // Files: what changes them (reading a file shipped with the migration is deterministic).
  [/^os\.(remove|unlink|rename|renames|replace|makedirs|mkdir|rmdir|removedirs|truncate|symlink|link)$/, 'file system'],
  [/^shutil\.(copy|copy2|copyfile|copytree|move|rmtree|make_archive|unpack_archive)$/, 'file system'],
  [/^django\.core\.management\.call_command$/, 'management command'],
  // Django's cache: what stores a value in it (review 35: ureport `stats/0020`, `0032`, `0033` keep their
  // progress there, ahead of rows a failed migration rolls back). Deleting keys (invalidating what the
  // data change made stale, ureport `contacts/0006`) leaves nothing to disagree with the database.
  [/^django\.core\.cache\.cache\.(set|add|set_many|incr|decr|get_or_set)$/, 'cache'],
];

/** Functions that open a file with a mode (their second argument, or `mode=`). */
const OPEN_FUNCTIONS = /^(io|codecs|gzip|bz2|lzma)\.open$/;
/** pathlib's writers, on whatever path object. */
const PATH_WRITERS = new Set(['write_text', 'write_bytes']);

/** A literal file mode that writes (`"w"`, `"ab"`, `"r+"`, `"x"`). */
function writesMode(node: Node | undefined): boolean {
  const mode = node ? staticString(node)?.text : null;
  return !!mode && /^[rwaxbtU+]{1,4}$/.test(mode) && /[wax+]/.test(mode);
}

/** `open(f, "w")` (the builtin, or io/codecs/gzip's), `path.open("w")` (pathlib), `path.write_text(…)`. */
function writesFile(call: Node, fn: Node, names: UnitNames): boolean {
  // The mode `open(file, mode)` (or `Path.open(mode)`, at `at`) is given, as its argument or `mode=`.
  const modeAt = (at: number): boolean => {
    const args = callArguments(call);
    return writesMode(args.positional[at] ?? args.keywords.get('mode'));
  };
  // The builtin: not bound in the file, nor imported.
  if (fn.type === 'identifier') return fn.text === 'open' && !names.facts.locals.lookup('open') && modeAt(1);
  if (fn.type !== 'attribute') return false;
  const method = fn.childForFieldName('attribute')?.text ?? '';
  if (PATH_WRITERS.has(method)) return true;
  if (method !== 'open') return false;
  const dotted = dottedName(fn);
  const q = dotted ? names.qualified(dotted) : null;
  // io/codecs/gzip's open(file, mode); else pathlib's Path.open(mode), a mode first (a storage's open(name, mode) has a name there).
  return q && OPEN_FUNCTIONS.test(q) ? modeAt(1) : modeAt(0);
}

/** A superset, by text, of what CALLS, TASK_METHODS and EMAIL_CLASSES can match. */
const MAY_CALL_OUT = /\b(?:stripe|braintree|requests|httpx|github3?|gitlab|Github|Gitlab|urllib[23]?|aiohttp|http|httplib2?|socket|ftplib|smtplib|mail|boto3?|django_rq|django_q|celery|delay|apply_async|send_task|send_messages|open|write_text|write_bytes|os|shutil|call_command|cache)\b/;

const EMAIL_CLASSES = /^django\.core\.mail(\.message)?\.(EmailMessage|EmailMultiAlternatives)$/;
const TASK_METHODS = new Set(['delay', 'apply_async', 'send_task']);

const WHY: Record<Kind, string> = {
  network: 'makes a network request',
  'e-mail': 'sends e-mail',
  'task queue': 'queues a background task',
  'cloud API': 'talks to a cloud API',
  'payment API': "calls a payment service's API",
  'file system': 'changes files on disk',
  'management command': 'runs a management command',
  cache: "stores a value in Django's cache",
};

/** What to do instead, per kind. */
const AFTER_DEPLOY = 'do this in a management command or a task run once after the deploy, and keep the migration a deterministic change to the data.';
const INSTEAD: Record<Kind, string> = {
  network: AFTER_DEPLOY,
  'e-mail': AFTER_DEPLOY,
  'task queue': AFTER_DEPLOY,
  'cloud API': AFTER_DEPLOY,
  'payment API': AFTER_DEPLOY,
  'file system': 'a file written here is not rolled back with the transaction, and exists only on the host that ran the migration (not in the next container, nor where the migration is reversed): keep what the migration needs in the database.',
  cache: 'the cache is not rolled back with the transaction: a failed migration leaves it saying the rolled-back work was done (a progress marker then skips those rows on the retry), and it is not the cache of every database the migration runs on: keep what the migration needs in the database.',
  'management command': "the command runs today's code with today's models (not the historical ones apps.get_model() gives) against the schema as this migration leaves it, and breaks when either changes: write what it does here with apps.get_model(), or run the command once after the deploy.",
};

/** What an external call does, or null. `names` resolves this unit's names through its imports. */
function classify(call: Node, names: UnitNames): Kind | null {
  const fn = call.childForFieldName('function');
  if (!fn) return null;
  if (writesFile(call, fn, names)) return 'file system';
  const dotted = dottedName(fn);
  const q = dotted ? names.qualified(dotted) : null;
  if (q) {
    // A folder made where it is missing (`os.makedirs(path, exist_ok=True)`): the same on every run and
    // harmless left behind on a rollback (review 80: inyoka `portal/0031` makes its media folder so).
    if (q === 'os.makedirs' && callArguments(call).keywords.get('exist_ok')?.type === 'true') return null;
    for (const [re, kind] of CALLS) if (re.test(q)) return kind;
    // An imported task: `reindex.delay(...)`, `tasks.reindex.apply_async(...)`, `app.send_task(...)`.
    const method = q.slice(q.lastIndexOf('.') + 1);
    if (TASK_METHODS.has(method) && q.split('.').length >= 3) return 'task queue';
  }
  // A client the module builds once (`S3_RESOURCE = boto3.resource("s3")`, review 45: lookit-api
  // `studies/0043`), used here: the constructor is outside the code, its uses are in it.
  const client = fn.type === 'attribute' ? moduleClient(fn, names) : null;
  if (client) return client;
  // `EmailMessage(...).send()` or `msg = EmailMessage(...); msg.send()`.
  if (fn.type === 'attribute' && ['send', 'send_messages'].includes(fn.childForFieldName('attribute')?.text ?? '')) {
    const obj = fn.childForFieldName('object');
    let ctor: Node | null = obj?.type === 'call' ? obj : null;
    if (obj?.type === 'identifier') {
      const b = names.facts.locals.lookup(obj.text);
      if (b?.kind === 'value' && b.node.type === 'call') ctor = b.node;
    }
    const ctorName = ctor ? dottedName(ctor.childForFieldName('function') as Node) : null;
    const cq = ctorName ? names.qualified(ctorName) : null;
    if (cq && (EMAIL_CLASSES.test(cq) || /^django\.core\.mail\.get_connection$/.test(cq))) return 'e-mail';
  }
  return null;
}

/** The kind of a network or cloud API client that a method chain starts from, bound outside the code to such a constructor's call. */
function moduleClient(fn: Node, names: UnitNames): Kind | null {
  const root = chainRoot(fn.childForFieldName('object'));
  const q = root?.type === 'identifier' ? names.outerCall(root.text)?.callee : null;
  const kind = q ? CALLS.find(([re]) => re.test(q))?.[1] : undefined;
  return kind === 'network' || kind === 'cloud API' ? kind : null;
}

/** A call whose value is only called on again (`client.Object(k)` in `client.Object(k).get()`): the whole chain is reported once, on the outer call. */
function innerOfChain(call: Node): boolean {
  const parent = call.parent;
  return parent?.type === 'attribute' && parent.childForFieldName('object')?.id === call.id && parent.parent?.type === 'call';
}

export const runpythonExternalCall: Rule = {
  meta: {
    id: 'runpython-external-call',
    summary: 'RunPython code makes network, e-mail, task-queue or cloud API calls, writes files or runs management commands; a migration should only transform data.',
    defaultSeverity: 'warning',
  },
  checkProject: (ctx) => reportImportedCodeFindings('runpython-external-call', ctx),
  check(ctx) {
    // Every call this rule reports resolves through an import of one of these modules, or is a task
    // method or an e-mail class: a file whose text names none of them has nothing to report.
    if (!ctx.model.operations.some((op) => op.runPython) || !MAY_CALL_OUT.test(ctx.source)) return;
    for (const { facts, names, where, related } of runPythonCode(ctx.model, ctx.index)) {
      walkUnit(facts.unit, ['call'], (n) => {
        if (n.type !== 'call') return;
        const kind = classify(n, names);
        if (!kind || (innerOfChain(n) && classify(n.parent?.parent as Node, names) === kind)) return;
        ctx.report({
          range: rangeOf(n.childForFieldName('function') ?? n),
          message:
            `\`${snippet(n, 50)}\` ${WHY[kind]} from ${where}. A migration runs on every database that applies it ` +
            '(CI, staging, a developer laptop, a restored backup), possibly inside its transaction and again on retry: ' +
            INSTEAD[kind],
          related: [related],
        });
      });
    }
  },
};
