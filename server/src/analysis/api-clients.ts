/**
 * Objects that web-service clients return: `plan = stripe.Plan.retrieve(id=…)` then `plan.delete()`
 * deletes a plan at Stripe, not a row (review 54: squarelet `organizations/0051`, whose loop was
 * charged one DELETE per row). Read through the file's imports, as runpython-external-call reads its
 * callees.
 */
import type { Scope } from './scope';
import { dottedName, unparen, walk, type Node } from './syntax';

/** Top-level packages of web-service clients, whose objects' save() and delete() are calls to the service. */
export const API_CLIENT_PACKAGES: ReadonlySet<string> = new Set([
  'stripe',
  'braintree',
  'paypalrestsdk',
  'boto3',
  'botocore',
  'requests',
  'httpx',
  'github',
  'github3',
  'gitlab',
  'twilio',
  'sendgrid',
  'slack_sdk',
  'mailchimp3',
  'googleapiclient',
  'firebase_admin',
  'simple_salesforce',
  'hubspot',
  'jira',
]);

/** The client package a dotted callee (`stripe.Plan.retrieve`) comes from, through the imports in `scope`, or null. */
export function clientPackageOf(callee: Node, scope: Scope): string | null {
  const dotted = dottedName(callee);
  const root = dotted?.split('.')[0];
  const binding = root ? scope.lookup(root) : undefined;
  if (!binding || binding.kind !== 'import' || !binding.importedFrom) return null;
  const top = binding.importedFrom.split('.')[0] ?? '';
  return API_CLIENT_PACKAGES.has(top) ? top : null;
}

/** An import of one of API_CLIENT_PACKAGES anywhere in a file's text. */
const CLIENT_IMPORT = new RegExp(String.raw`\b(?:import|from)\s+(?:${[...API_CLIENT_PACKAGES].join('|')})\b`);
/** Per parsed file: whether it imports a client at all (most migrations do not, and then no walk is needed). */
const importsClient = new WeakMap<object, boolean>();

/**
 * The client package every assignment of `name` in `fn` takes its value from (`name = stripe.X.y(…)`,
 * or a call on a name that holds such a client), or null: no assignment, or one of something else.
 */
export function heldFromApiClient(name: string, fn: Node, scope: Scope, depth = 2): string | null {
  const tree = fn.tree as object;
  let imports = importsClient.get(tree);
  if (imports === undefined) {
    imports = CLIENT_IMPORT.test(fn.tree.rootNode.text);
    importsClient.set(tree, imports);
  }
  if (!imports) return null;
  let found: string | null = null;
  let other = false;
  walk(fn, (n) => {
    if (other) return false;
    if (n.type !== 'assignment' || n.childForFieldName('left')?.type !== 'identifier' || n.childForFieldName('left')?.text !== name) return true;
    const right = n.childForFieldName('right');
    const value = right ? unparen(right) : null;
    const callee = value?.type === 'call' ? value.childForFieldName('function') : null;
    // `s3 = boto3.resource("s3")` then `obj = s3.Object(…)`: an object of a client held in a name.
    const root = callee ? dottedName(callee)?.split('.')[0] : undefined;
    const pkg = callee ? (clientPackageOf(callee, scope) ?? (root && root !== name && depth > 0 ? heldFromApiClient(root, fn, scope, depth - 1) : null)) : null;
    if (!pkg) other = true;
    else found ??= pkg;
    return true;
  });
  return other ? null : found;
}
