/**
 * The CHILD SAs of one IKE SA: the current pair (all outbound traffic) and the pairs a rekey
 * replaced, which keep receiving until their DELETE exchange is done (make-before-break).
 * It tells the tunnel which ESP SAs to use through the session's ports.
 */
import type { ChildSa } from './child-sa.ts';
import type { IkeSessionPorts } from './session-types.ts';

export class ChildSaSet {
  private currentSa: ChildSa | undefined;
  private readonly retiring: ChildSa[] = [];

  constructor(private readonly ports: Pick<IkeSessionPorts, 'onChildSa' | 'onChildSaInbound' | 'onChildSaRetired'>) {}

  get current(): ChildSa | undefined {
    return this.currentSa;
  }

  /** The current pair first, then those being deleted. */
  all(): ChildSa[] {
    return this.currentSa ? [this.currentSa, ...this.retiring] : [...this.retiring];
  }

  isRetiring(child: ChildSa): boolean {
    return this.retiring.includes(child);
  }

  /** `child` carries all outbound traffic from now on; the pair it replaces only receives. */
  use(child: ChildSa): ChildSa | undefined {
    const old = this.currentSa;
    if (old && old !== child) this.retiring.push(old);
    this.drop(child);
    this.currentSa = child;
    this.ports.onChildSa(child);
    return old;
  }

  /** A pair that only receives until it is deleted (the redundant SA of a rekey collision). */
  receiveOnly(child: ChildSa): void {
    if (!this.retiring.includes(child)) this.retiring.push(child);
    this.ports.onChildSaInbound(child);
  }

  /** Deleted at both ends: its inbound SA goes too. */
  retire(child: ChildSa): void {
    if (!this.drop(child)) return;
    this.ports.onChildSaRetired(child);
  }

  /** Everything is gone with the IKE SA (the tunnel clears its SAs on 'child-down'). */
  clear(): void {
    this.currentSa = undefined;
    this.retiring.length = 0;
  }

  private drop(child: ChildSa): boolean {
    const i = this.retiring.indexOf(child);
    if (i >= 0) this.retiring.splice(i, 1);
    return i >= 0;
  }
}
