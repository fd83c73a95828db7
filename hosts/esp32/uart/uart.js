/*
 * ikelet/uart: the modem UART for ESP32, shaped like an ECMA-419 Serial IO class
 * (constructor options, onReadable(count), onWritable(), read(), write(buffer), close(),
 * format "buffer"), but backed by the ESP-IDF UART driver: ring buffers of a few KB and RTS/CTS.
 * write() never waits: it takes what fits the transmit ring and returns that count.
 * Moddable's embedded:io/serial reads the 128-byte hardware FIFO directly and has no flow
 * control, which loses bytes while a long JS turn (an x25519 exchange) runs.
 */
class UART extends Native("xs_ikelet_uart_destructor") {
	constructor(options) {
		super();
		const { port = 1, transmit, receive, rts = -1, cts = -1, baud = 115200, receiveBufferSize = 8192, transmitBufferSize = 8192, onReadable, onWritable } = options;
		native("xs_ikelet_uart_constructor").call(this, port, transmit, receive, rts, cts, baud, receiveBufferSize, transmitBufferSize, onReadable, onWritable);
	}
	/** Up to `count` buffered bytes (all when omitted) as an ArrayBuffer; undefined when none. */
	read(count) { return native("xs_ikelet_uart_read").call(this, count); }
	/** Copies as many bytes of an ArrayBuffer or view as the transmit ring takes now; returns that count. */
	write(buffer) { return native("xs_ikelet_uart_write").call(this, buffer); }
	/** Bytes in the transmit ring, not yet on the line. */
	get queued() { return native("xs_ikelet_uart_get_queued").call(this); }
	close() { return native("xs_ikelet_uart_close").call(this); }
	/** Bytes lost to receive overflow since open (should stay 0 with RTS/CTS). */
	get overflows() { return native("xs_ikelet_uart_get_overflows").call(this); }
	get format() { return "buffer"; }
	set format(value) { if (value !== "buffer") throw new RangeError("unimplemented"); }
}

export default UART;
