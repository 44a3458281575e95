/**
 * A Python-identifier fragment from any text, as Django names things: `StockLocation` ->
 * `stock_location`, `AlterField` -> `alter_field`, anything not a letter or digit -> `_`.
 * Shared by the split's file names and the names the fixes give new locals.
 */
export function snakeCase(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
