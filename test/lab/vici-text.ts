/**
 * Parses `swanctl --pretty` output (vici messages printed as nested sections):
 *   name {            section
 *     key = value     key/value
 *     list [          list of values, one per line
 *       item
 *     ]
 *   }
 * Repeated event messages ("list-sa event { ... }") are kept as an array under their name.
 */
export type ViciValue = string | string[] | ViciSection | ViciSection[];
export interface ViciSection {
  [key: string]: ViciValue;
}

export function parseVici(text: string): ViciSection {
  const root: ViciSection = {};
  const stack: ViciSection[] = [root];
  let list: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (list) {
      if (line === ']') list = undefined;
      else list.push(line);
      continue;
    }
    const top = stack[stack.length - 1]!;
    let m: RegExpExecArray | null;
    if ((m = /^(.+?)\s*\{$/.exec(line))) {
      const section: ViciSection = {};
      const name = m[1]!;
      const existing = top[name];
      if (existing === undefined) top[name] = section;
      else if (Array.isArray(existing)) (existing as ViciSection[]).push(section);
      else top[name] = [existing as ViciSection, section];
      stack.push(section);
    } else if (line === '}') {
      if (stack.length > 1) stack.pop();
    } else if ((m = /^(.+?)(?:\s*=)?\s*\[$/.exec(line))) {
      list = [];
      top[m[1]!] = list;
    } else if ((m = /^(.+?)\s*=\s*(.*)$/.exec(line))) {
      top[m[1]!] = m[2]!;
    }
  }
  return root;
}

/** The named sections of every event of one kind (`list-sa event`, `list-conn event`). */
export function eventSections(listing: ViciSection, event: string): Array<{ name: string; sa: ViciSection }> {
  const events = listing[event];
  const list = events === undefined ? [] : Array.isArray(events) ? (events as ViciSection[]) : [events as ViciSection];
  const out: Array<{ name: string; sa: ViciSection }> = [];
  for (const ev of list) for (const [name, sa] of Object.entries(ev)) out.push({ name, sa: sa as ViciSection });
  return out;
}

export const ikeSas = (listSas: ViciSection) => eventSections(listSas, 'list-sa event');
export const connections = (listConns: ViciSection) => eventSections(listConns, 'list-conn event');
