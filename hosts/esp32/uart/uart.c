/*
 * Native half of ikelet/uart (see uart.js): ESP-IDF's UART driver owns the interrupt and
 * moves the 128-byte FIFO into a ring buffer of receiveBufferSize bytes. With RTS/CTS the
 * hardware stops the modem when the FIFO fills, so a full ring buffer stalls the modem
 * instead of dropping bytes. A small FreeRTOS task waits on the driver's event queue and
 * posts one message at a time to the XS machine, which calls onReadable(count).
 *
 * Input reaches JS in large pieces, not one per FIFO interrupt (120 bytes): the task posts when
 * the line goes idle (a UART_DATA event with timeout_flag, RX_TIMEOUT_SYMBOLS of silence: the end
 * of a PPP frame or an AT line), when READABLE_BYTES are buffered (a saturated line), or when no
 * event came for IDLE_MS while bytes wait (the driver sends no timeout event after a burst that
 * ended exactly on a FIFO-full interrupt). A frame costs a turn or two. The ring buffer holds the
 * bytes meanwhile; the driver sees the 0x7e flags only after a read, so this is idle-based.
 *
 * Transmit never blocks the JS thread: write() copies only what fits the driver's transmit
 * ring buffer and returns that count; `queued` is what the ring still holds. While bytes are
 * queued the task looks at the ring every few ms and posts onWritable() each time it drained
 * another WRITABLE_STEP bytes (and when it is empty), so the agent keeps its queue bounded.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "mc.defines.h"

#include "driver/uart.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"

// From the manifest's defines.ikelet.uart (mcconfig turns them into MODDEF_*).
#ifndef MODDEF_IKELET_UART_TASK_PRIORITY
	#define MODDEF_IKELET_UART_TASK_PRIORITY (10)
#endif
#ifndef MODDEF_IKELET_UART_TASK_STACK
	#define MODDEF_IKELET_UART_TASK_STACK (2048)
#endif

#define WRITABLE_STEP (512)
#define WRITABLE_POLL_MS (5)
#define RX_TIMEOUT_SYMBOLS (10)
#define READABLE_BYTES (1536)	// about a PPP frame; at most half the receive ring
#define IDLE_MS (20)

typedef struct {
	xsMachine *the;
	xsSlot obj;
	xsSlot *onReadable;
	xsSlot *onWritable;
	QueueHandle_t events;
	TaskHandle_t task;
	uint32_t overflows;
	uint32_t emptyFree;	// what the driver reports free in an empty transmit ring (item headers make it < its size)
	uint32_t readableBytes;	// buffered bytes that are posted without waiting for the line to go idle
	volatile uint32_t signalFree;	// transmit ring free space at the last write or signal
	uint8_t port;
	volatile uint8_t watchTx;	// bytes are queued: the task watches the ring drain
	volatile uint8_t pending;	// a readable message is posted and not yet delivered
	volatile uint8_t pendingWritable;	// a writable message is posted and not yet delivered
	volatile uint8_t closed;	// closed while a message was pending: the last deliver frees
} UARTRecord, *UART;

static void uartDestroy(UART uart);
static void uartTask(void *arg);
static void uartDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
static void uartDeliverWritable(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
static uint32_t uartTxFree(UART uart);
static void uartMark(xsMachine *the, void *it, xsMarkRoot markRoot);

static const xsHostHooks uartHooks = { xs_ikelet_uart_destructor, uartMark, NULL };

void xs_ikelet_uart_constructor(xsMachine *the)
{
	int port = xsmcToInteger(xsArg(0));
	int tx = xsmcToInteger(xsArg(1)), rx = xsmcToInteger(xsArg(2));
	int rts = xsmcToInteger(xsArg(3)), cts = xsmcToInteger(xsArg(4));
	int baud = xsmcToInteger(xsArg(5));
	int rxSize = xsmcToInteger(xsArg(6)), txSize = xsmcToInteger(xsArg(7));
	uint8_t flow = (rts >= 0) && (cts >= 0);
	uart_config_t config = {
		.baud_rate = baud,
		.data_bits = UART_DATA_8_BITS,
		.parity = UART_PARITY_DISABLE,
		.stop_bits = UART_STOP_BITS_1,
		.flow_ctrl = flow ? UART_HW_FLOWCTRL_CTS_RTS : UART_HW_FLOWCTRL_DISABLE,
		.rx_flow_ctrl_thresh = 100,	// of the 128-byte FIFO: RTS drops with room to spare
		.source_clk = UART_SCLK_DEFAULT,
	};
	UART uart;

	if ((port < 0) || (port >= UART_NUM_MAX)) xsRangeError("invalid port");
	if ((baud < 1200) || (baud > 5000000)) xsRangeError("invalid baud");
	if ((rxSize <= 128) || (rxSize > 65536)) xsRangeError("invalid receiveBufferSize");
	if ((txSize <= 128) || (txSize > 65536)) xsRangeError("invalid transmitBufferSize");	// 0 would make writes block
	if (!xsmcIsInstanceOf(xsArg(8), xsFunctionPrototype)) xsTypeError("onReadable required");
	if (uart_is_driver_installed(port)) xsRangeError("port in use");

	uart = c_calloc(1, sizeof(UARTRecord));
	if (!uart) xsRangeError("no memory");
	uart->the = the;
	uart->port = (uint8_t)port;

	if ((ESP_OK != uart_driver_install(port, rxSize, txSize, 16, &uart->events, 0)) ||
		(ESP_OK != uart_param_config(port, &config)) ||
		(ESP_OK != uart_set_pin(port, tx, rx, flow ? rts : UART_PIN_NO_CHANGE, flow ? cts : UART_PIN_NO_CHANGE)) ||
		(ESP_OK != uart_set_rx_timeout(port, RX_TIMEOUT_SYMBOLS)) ||
		(flow && (ESP_OK != uart_set_hw_flow_ctrl(port, UART_HW_FLOWCTRL_CTS_RTS, 100)))) {
		if (uart_is_driver_installed(port)) uart_driver_delete(port);
		c_free(uart);
		xsUnknownError("uart setup failed");
	}

	uart->emptyFree = uartTxFree(uart);
	uart->readableBytes = ((uint32_t)rxSize / 2 < READABLE_BYTES) ? (uint32_t)rxSize / 2 : READABLE_BYTES;
	xsmcSetHostData(xsThis, uart);
	uart->obj = xsThis;
	uart->onReadable = xsToReference(xsArg(8));
	if ((xsmcArgc > 9) && xsmcIsInstanceOf(xsArg(9), xsFunctionPrototype)) uart->onWritable = xsToReference(xsArg(9));
	xsSetHostHooks(xsThis, (xsHostHooks *)&uartHooks);
	xsRemember(uart->obj);

	if (pdPASS != xTaskCreate(uartTask, "ikelet-uart", MODDEF_IKELET_UART_TASK_STACK, uart, MODDEF_IKELET_UART_TASK_PRIORITY, &uart->task)) {
		xsmcSetHostData(xsThis, NULL);
		xsForget(uart->obj);
		uart_driver_delete(port);
		c_free(uart);
		xsUnknownError("uart task failed");
	}
}

void xs_ikelet_uart_destructor(void *data)
{
	if (data) uartDestroy((UART)data);
}

static void uartDestroy(UART uart)
{
	if (uart->task) vTaskDelete(uart->task);	// blocked on the queue: safe to delete
	uart->task = NULL;
	uart_driver_delete(uart->port);
	if (uart->pending || uart->pendingWritable) uart->closed = 1;	// a queued message still points here
	else c_free(uart);
}

void xs_ikelet_uart_close(xsMachine *the)
{
	UART uart = xsmcGetHostData(xsThis);
	if (!uart) return;
	xsmcSetHostData(xsThis, NULL);
	xsForget(uart->obj);
	uartDestroy(uart);
}

void xs_ikelet_uart_read(xsMachine *the)
{
	UART uart = xsmcGetHostData(xsThis);
	size_t available = 0;
	int count, got;

	if (!uart) xsUnknownError("closed");
	uart_get_buffered_data_len(uart->port, &available);
	count = (int)available;
	if ((xsmcArgc > 0) && xsmcTest(xsArg(0))) {
		int requested = xsmcToInteger(xsArg(0));
		if (requested < count) count = requested;
	}
	if (count <= 0) return;	// undefined: nothing buffered

	xsmcSetArrayBuffer(xsResult, NULL, count);
	got = uart_read_bytes(uart->port, xsmcToArrayBuffer(xsResult), count, 0);
	if (got < count) xsmcSetArrayBufferLength(xsResult, got < 0 ? 0 : got);
}

static uint32_t uartTxFree(UART uart)
{
	size_t free = 0;
	if (ESP_OK != uart_get_tx_buffer_free_size(uart->port, &free)) return 0;
	return (uint32_t)free;
}

void xs_ikelet_uart_write(xsMachine *the)
{
	UART uart = xsmcGetHostData(xsThis);
	void *data;
	xsUnsignedValue length;
	uint32_t free, room;

	if (!uart) xsUnknownError("closed");
	xsmcGetBufferReadable(xsArg(0), &data, &length);
	// Only what surely fits the transmit ring, so uart_write_bytes copies without waiting. The
	// driver stores each write as a header item plus data items of at most half the largest
	// item the ring takes (uart_get_tx_buffer_free_size), each with its own item header.
	free = uartTxFree(uart);
	room = (free > 64) ? (free / 2 - 32) : 0;
	if (length > room) length = room;
	if (length && (uart_write_bytes(uart->port, data, length) < 0)) xsUnknownError("write failed");
	// Set after the bytes are in the ring, so the task cannot see an empty ring and stop watching.
	uart->signalFree = free - length;
	uart->watchTx = 1;
	xsmcSetInteger(xsResult, (xsIntegerValue)length);
}

void xs_ikelet_uart_get_queued(xsMachine *the)
{
	UART uart = xsmcGetHostData(xsThis);
	uint32_t free;
	if (!uart) return;
	free = uartTxFree(uart);
	xsmcSetInteger(xsResult, (xsIntegerValue)((free < uart->emptyFree) ? (uart->emptyFree - free) : 0));
}

void xs_ikelet_uart_get_overflows(xsMachine *the)
{
	UART uart = xsmcGetHostData(xsThis);
	xsmcSetInteger(xsResult, uart ? (xsIntegerValue)uart->overflows : 0);
}

static void uartPostReadable(UART uart)
{
	if (!uart->pending) {
		uart->pending = 1;
		modMessagePostToMachine(uart->the, NULL, 0, uartDeliver, uart);
	}
}

/* Runs in its own task: turns driver events into at most one pending XS message. */
static void uartTask(void *arg)
{
	UART uart = arg;
	uart_event_t event;
	uint8_t waiting = 0;	// bytes arrived that no message announced yet
	TickType_t lastEvent = 0;

	for (;;) {
		TickType_t wait = portMAX_DELAY, idle = pdMS_TO_TICKS(IDLE_MS);
		if (waiting) {
			TickType_t since = xTaskGetTickCount() - lastEvent;
			wait = (since < idle) ? (idle - since) : 0;
		}
		if (uart->watchTx && (pdMS_TO_TICKS(WRITABLE_POLL_MS) < wait)) wait = pdMS_TO_TICKS(WRITABLE_POLL_MS);
		if (pdTRUE == xQueueReceive(uart->events, &event, wait)) {
			size_t buffered = 0;
			uint8_t now = 0;
			lastEvent = xTaskGetTickCount();
			if ((UART_FIFO_OVF == event.type) || (UART_BUFFER_FULL == event.type)) {
				uart->overflows++;
				if (UART_FIFO_OVF == event.type) xQueueReset(uart->events);	// driver advice after FIFO overflow
				now = 1;	// a full ring is read at once
			}
			else if (UART_DATA == event.type) {
				uart_get_buffered_data_len(uart->port, &buffered);
				now = event.timeout_flag || (buffered >= uart->readableBytes);
			}
			if (now) {
				waiting = 0;
				uartPostReadable(uart);
			}
			else waiting = 1;
		}
		if (waiting && ((xTaskGetTickCount() - lastEvent) >= idle)) {	// no event for IDLE_MS: the line is quiet
			waiting = 0;
			uartPostReadable(uart);
		}
		if (uart->watchTx) {
			uint32_t free = uartTxFree(uart);
			uint8_t empty = free >= uart->emptyFree;
			if (empty || (free >= uart->signalFree + WRITABLE_STEP)) {
				uart->signalFree = free;
				if (empty) uart->watchTx = 0;
				if (uart->onWritable && !uart->pendingWritable) {
					uart->pendingWritable = 1;
					modMessagePostToMachine(uart->the, NULL, 0, uartDeliverWritable, uart);
				}
			}
		}
	}
}

static void uartDeliver(void *theIn, void *refcon, uint8_t *message, uint16_t messageLength)
{
	xsMachine *the = theIn;
	UART uart = refcon;
	size_t available = 0;

	uart->pending = 0;
	if (uart->closed) {
		if (!uart->pendingWritable) c_free(uart);
		return;
	}
	uart_get_buffered_data_len(uart->port, &available);
	if (!available) return;

	xsBeginHost(the);
		xsmcSetInteger(xsResult, (xsIntegerValue)available);
		xsCallFunction1(xsReference(uart->onReadable), uart->obj, xsResult);
	xsEndHost(the);
}

static void uartDeliverWritable(void *theIn, void *refcon, uint8_t *message, uint16_t messageLength)
{
	xsMachine *the = theIn;
	UART uart = refcon;

	uart->pendingWritable = 0;
	if (uart->closed) {
		if (!uart->pending) c_free(uart);
		return;
	}
	xsBeginHost(the);
		xsCallFunction0(xsReference(uart->onWritable), uart->obj);
	xsEndHost(the);
}

static void uartMark(xsMachine *the, void *it, xsMarkRoot markRoot)
{
	UART uart = it;
	if (uart->onReadable) (*markRoot)(the, uart->onReadable);
	if (uart->onWritable) (*markRoot)(the, uart->onWritable);
}
