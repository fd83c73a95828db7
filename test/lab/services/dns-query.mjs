// Resolves one name (A record) through one DNS server and prints the first address
// (lab use: runs inside a namespace, e.g. the strongSwan initiator's, through its tunnel).
import { Resolver } from 'node:dns/promises';

const [server, name] = process.argv.slice(2);
const resolver = new Resolver({ timeout: 2000, tries: 2 });
resolver.setServers([server]);
const addresses = await resolver.resolve4(name);
process.stdout.write(`${addresses[0]}\n`);
