// Module "ikelet/network": device.network as ikelet's setup module published it (typed by
// manifests/ikelet/ikelet.d.ts). Not preloaded: it is evaluated on first import, after setup ran.
export default globalThis.device.network;
