/**
 * Shares what many migrations write the same way — `models.BigAutoField(auto_created=True,
 * primary_key=True, serialize=False, verbose_name='ID')` in every CreateModel, the same foreign
 * keys again and again — so a process that keeps every migration's summary (the language server,
 * the CLI's project step) holds one value and one FieldSpec per distinct text, not one per
 * occurrence. Only calls whose reading looked up no name of the file are shared, keyed by the
 * file's imports and the call's text, so two equal keys always mean the same thing.
 */
import { fieldSpec, type FieldSpec } from './fields';
import type { CallValue, Value } from './values';

const MAX_ENTRIES = 50_000;
/** Longer call texts are not shared: they are nearly always unique, and a key that size costs more than it saves. */
const MAX_TEXT = 4096;

/**
 * `s` copied out of the text it was taken from. V8 keeps a substring (13 characters or more) as a
 * view of its parent, so a key sliced from a migration's text held the whole text alive for as
 * long as the interner kept the key — in the language server, every edited version of a document.
 */
function detached(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** The strings of a value about to be shared, detached in place (an explicit stack: values nest deeply). */
function detachValue(root: Value): void {
  const stack: Value[] = [root];
  while (stack.length > 0) {
    const v = stack.pop() as Value;
    if (Object.isFrozen(v)) continue;
    switch (v.kind) {
      case 'str':
        v.value = detached(v.value);
        break;
      case 'ref':
        v.text = detached(v.text);
        if (v.path !== null) v.path = detached(v.path);
        break;
      case 'call':
        stack.push(v.callee);
        for (const a of v.args) stack.push(a);
        for (const k in v.kwargs) stack.push(v.kwargs[k] as Value);
        break;
      case 'list':
      case 'tuple':
      case 'set':
        for (const item of v.items) stack.push(item);
        break;
      case 'dict':
        for (const [k, x] of v.entries) stack.push(k, x);
        break;
      default:
        break;
    }
  }
}

export class ValueInterner {
  /**
   * The shared values, one table per distinct import block: a lookup hashes the call's text alone
   * (the slice the reader already holds; V8 keeps a string's hash, so the second lookup of the
   * same slice, when the call is interned after a miss, costs nothing more).
   */
  private tables = new Map<string, Map<string, CallValue>>();
  private entries = 0;
  private specs = new WeakMap<CallValue, FieldSpec | null>();

  /** The shared value for a call text read under `imports`, this one when it is the first. */
  intern(imports: string, text: string, value: CallValue): CallValue {
    if (text.length > MAX_TEXT) return value;
    let table = this.tables.get(imports);
    if (table === undefined) {
      table = new Map();
      this.tables.set(detached(imports), table);
    }
    const known = table.get(text);
    if (known) return known;
    if (this.entries >= MAX_ENTRIES) {
      this.tables = new Map([[detached(imports), (table = new Map())]]);
      this.entries = 0;
    }
    detachValue(value);
    table.set(detached(text), value);
    this.entries++;
    return value;
  }

  /** The shared value of a call text read under `imports`, if one was interned. */
  known(imports: string, text: string): CallValue | undefined {
    return text.length > MAX_TEXT ? undefined : this.tables.get(imports)?.get(text);
  }

  /** fieldSpec, computed once per shared value. */
  fieldSpec(v: Value | undefined): FieldSpec | null {
    if (v?.kind !== 'call') return fieldSpec(v);
    let spec = this.specs.get(v);
    if (spec === undefined) {
      spec = fieldSpec(v);
      this.specs.set(v, spec);
    }
    return spec;
  }
}
