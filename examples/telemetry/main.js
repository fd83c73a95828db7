// @ts-check
/*
 * A user's project on ikelet: its own main, ikelet's network. By the time this module runs, ikelet's
 * setup module has started the tunnel and made device.network the tunnel's (README, "Add ikelet to
 * your project"). This app publishes a reading every `telemetryInterval` seconds over MQTT QoS 1,
 * takes commands, and says what the tunnel does. The broker and its credentials come from the
 * manifest's config (mqttHost, mqttClientId, mqttUser, mqttPassword): device.network.mqtt carries them.
 */
import config from "mc/config";
import Timer from "timer";
// device.network itself, typed (manifests/ikelet/ikelet.d.ts); `device.network` works as well.
import network from "ikelet/network";

const topic = (leaf) => `devices/${config.mqttClientId}/${leaf}`;
const tunnel = network.ikelet;
tunnel.onChanged((status) => trace(`telemetry: tunnel ${status.state}${status.virtualIp ? ` as ${status.virtualIp}` : ""}\n`));

const mqtt = network.mqtt;
if (!mqtt) throw new Error("telemetry: no device.network.mqtt: set mqttHost in the manifest's config");
const MQTTClient = mqtt.io;
let sequence = 0;
const client = new MQTTClient({
	...mqtt,
	onControl(message) {
		if (message.operation === MQTTClient.CONNACK) {
			trace("telemetry: connected to the broker\n");
			this.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: topic("cmd/#"), QoS: 1 }] });
		}
	},
	onReadable(count, info) {
		const bytes = this.read(count);
		const command = bytes ? String.fromArrayBuffer(bytes) : "";
		trace(`telemetry: command on ${info.topic}: ${command}\n`);
		this.write(ArrayBuffer.fromString(JSON.stringify({ ack: command, sequence })), { topic: topic("status"), QoS: 1 });
	},
	onError(error) {
		trace(`telemetry: mqtt ${error?.name ?? "error"}; the client reconnects by itself\n`);
	},
});

Timer.repeat(() => {
	sequence += 1;
	const reading = { sequence, temperature: 20 + (sequence % 5), tunnel: tunnel.state, espBytesOut: tunnel.traffic.espBytesOut };
	// QoS 1: kept (bounded) while the tunnel or the broker is away, and sent when they are back.
	client.write(ArrayBuffer.fromString(JSON.stringify(reading)), { topic: topic("telemetry"), QoS: 1 });
}, config.telemetryInterval * 1000);
