/** A scripted MQTT broker on the fake network: decodes what the client sends, answers as told. */
import { encodeConnack, encodeEmpty, encodeIdPacket, encodePublish, encodeSuback, PacketReader, type Packet, type PublishPacket } from '../../src/mqtt/codec.ts';
import { CONNECT, PINGREQ, PINGRESP, PUBACK, PUBLISH, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE } from '../../src/mqtt/constants.ts';
import { utf8 } from '../../src/util/bytes.ts';
import type { FakeNetwork, ServerConnection } from './fake-ecma419.ts';

/** The packet shapes whose `type` can be T (IdPacket covers several types). */
export type PacketOf<T extends number> = Packet extends infer P ? (P extends { type: infer U } ? (T extends U ? P : never) : never) : never;

export class BrokerConnection {
  readonly packets: Packet[] = [];
  private readonly reader = new PacketReader(1 << 20);

  constructor(readonly conn: ServerConnection, private readonly broker: FakeBroker) {
    conn.onData = (bytes) => {
      const error = this.reader.feed(bytes, (p) => {
        this.packets.push(p);
        this.answer(p);
        return true;
      });
      if (error) throw new Error(`fake broker: client sent a bad packet: ${error.name} ${error.detail}`);
    };
  }

  send(bytes: Uint8Array | number[]): void {
    this.conn.write(bytes);
  }

  publish(topic: string, payload: string | Uint8Array, options: { qos?: 0 | 1 | 2; id?: number; retain?: boolean; dup?: boolean } = {}): void {
    this.send(encodePublish({ topic: utf8(topic), payload: typeof payload === 'string' ? utf8(payload) : payload, qos: options.qos ?? 0, id: options.id, retain: options.retain ?? false, dup: options.dup ?? false }));
  }

  private answer(p: Packet): void {
    const b = this.broker;
    switch (p.type) {
      case CONNECT:
        if (b.connack !== 'silent') this.send(encodeConnack(b.sessionPresent, b.connack));
        return;
      case PUBLISH:
        b.published.push(p);
        if (p.qos === 1 && b.puback) this.send(encodeIdPacket(PUBACK, p.id!));
        return;
      case SUBSCRIBE:
        this.send(encodeSuback(p.id, p.items.map((i) => b.refuse.has(i.topic) ? 0x80 : i.qos)));
        return;
      case UNSUBSCRIBE:
        this.send(encodeIdPacket(UNSUBACK, p.id));
        return;
      case PINGREQ:
        if (b.pingresp) this.send(encodeEmpty(PINGRESP));
        return;
      default:
    }
  }
}

export class FakeBroker {
  readonly connections: BrokerConnection[] = [];
  readonly published: PublishPacket[] = [];
  connack: number | 'silent' = 0;
  sessionPresent = false;
  puback = true;
  pingresp = true;
  readonly refuse = new Set<string>();

  constructor(net: FakeNetwork, address = '198.51.100.20', port = 1883) {
    net.listen(address, port, (conn) => this.connections.push(new BrokerConnection(conn, this)));
  }

  get last(): BrokerConnection {
    return this.connections[this.connections.length - 1]!;
  }

  /** Every packet of a type the client sent, over all connections. */
  sent<T extends Packet['type']>(type: T): PacketOf<T>[] {
    return this.connections.flatMap((c) => c.packets.filter((p) => p.type === type) as PacketOf<T>[]);
  }
}
