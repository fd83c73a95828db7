/** Turns a response's answer section into addresses for the name asked, following CNAMEs. */
import { CLASS_IN, sameName, TYPE_A, TYPE_CNAME, type DnsRecord } from './message.ts';

const MAX_CNAME_HOPS = 8;

export interface AnswerAddresses {
  addresses: string[];
  ttl: number; // smallest TTL along the chain, seconds
  canonicalName: string;
}

/** Addresses of `qname` (empty when none); a CNAME loop or over-long chain yields none. */
export function addressesFor(qname: string, answers: DnsRecord[]): AnswerAddresses {
  let name = qname;
  let ttl = Infinity;
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const addresses: string[] = [];
    for (const r of answers) {
      if (r.type !== TYPE_A || r.class !== CLASS_IN || r.address === undefined || !sameName(r.name, name)) continue;
      if (!addresses.includes(r.address)) addresses.push(r.address);
      ttl = Math.min(ttl, r.ttl);
    }
    if (addresses.length) return { addresses, ttl, canonicalName: name };
    const alias = answers.find((r) => r.type === TYPE_CNAME && r.class === CLASS_IN && r.target !== undefined && sameName(r.name, name));
    if (!alias?.target) break;
    ttl = Math.min(ttl, alias.ttl);
    name = alias.target;
  }
  return { addresses: [], ttl: 0, canonicalName: name };
}
