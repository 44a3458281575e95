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

export class ValueInterner {
  private values = new Map<string, CallValue>();
  private specs = new WeakMap<CallValue, FieldSpec | null>();
  /** Each distinct import block gets a short id: keys stay short. */
  private readonly importIds = new Map<string, number>();

  /** The shared value for a call text read under `imports`, this one when it is the first. */
  intern(imports: string, text: string, value: CallValue): CallValue {
    let id = this.importIds.get(imports);
    if (id === undefined) {
      if (this.importIds.size >= MAX_ENTRIES) {
        this.importIds.clear();
        this.values = new Map();
      }
      id = this.importIds.size;
      this.importIds.set(imports, id);
    }
    const key = `${id}\0${text}`;
    const known = this.values.get(key);
    if (known) return known;
    if (this.values.size >= MAX_ENTRIES) this.values = new Map();
    this.values.set(key, value);
    return value;
  }

  /** The shared value of a call text read under `imports`, if one was interned. */
  known(imports: string, text: string): CallValue | undefined {
    const id = this.importIds.get(imports);
    return id === undefined ? undefined : this.values.get(`${id}\0${text}`);
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
