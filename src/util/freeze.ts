/**
 * Constant tables are frozen: a device build preloads the modules (xsl), and a preloaded object
 * that is not frozen may be written, so XS must be ready to copy it to RAM; a frozen one stays in
 * flash. `deepFreeze` freezes a table of plain objects and arrays and returns it, typed as given.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
