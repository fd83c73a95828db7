/*
 * ikelet's ESP32 build, run on Linux: the preloaded heap that xsl wrote for the ESP32 project
 * (mc.xs.c), its creation (chunk and slot heaps fixed at their initial sizes), its main.js; only
 * the natives differ: Moddable's timer and time modules, ikelet/uart on a pty instead of the
 * UART, ikelet/random from getrandom(). Built 32-bit, so XS slots are 16 bytes as on the ESP32.
 *
 *   ikelet-xs-device --serial PATH [--gc-each-turn] [--turns]
 *
 * stdout carries the program's trace() output and the host's own lines, which start with "@ikelet ":
 *   @ikelet boot <stats>        the machine is prepared from the preloaded heap, nothing has run
 *   @ikelet turn <kind> <stats> after each turn, with --turns (kind: main, serial, timer)
 *   @ikelet stats|gc <stats>    answers to "stats" / "gc" (collect first) read from stdin
 *   @ikelet exception <text>    an exception escaped a turn
 *   @ikelet abort <reason> <stats>  XS gave up (e.g. not enough memory); exit status 2
 * <stats>: slots= live slots (+ garbage since the last collection), slotsPeak= highest since the
 * previous line, slotsMax= slot heap size, the same for chunks (bytes), and the deepest stack
 * (slots) since the previous line beside the stack's size (XS built with mxInstrument for that),
 * and meter= the computrons XS has counted since boot (mxMetering, in xsnap's unit: meterIndex >> 16;
 * a turn's own is the difference).
 * With --gc-each-turn every turn starts after a full collection, so `slots` before a turn is the
 * live set and `slotsPeak` of a turn bounds what it needs.
 * stdin also takes "mark" (peaks restart from the current level), "census" (collect, then what the
 * live heap is made of, see census() below) and "exit". When XS aborts, the census comes first.
 */
#include "xsAll.h"
#include "mc.xs.h"
/* xsmc.h would poison the xs* API used here; only its buffer accessor is needed. */
extern xsIntegerValue _xsmcGetBuffer(xsMachine* the, xsSlot* slot, void** data, xsUnsignedValue* count, xsBooleanValue writable);

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <termios.h>

static txMachine* gThe;
static int gSerial = -1;
static int gTurns = 0;
static int gCollectEachTurn = 0;

/* ---- clock ---- */
static double gStart;
static double monotonicMs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}
static double nowMs(void) { return monotonicMs() - gStart; }

/* ---- reports ---- */
static void printStats(const char* what, const char* kind)
{
	txMachine* the = gThe;
	printf("@ikelet %s%s%s slots=%ld slotsPeak=%ld slotsMax=%ld chunks=%ld chunksPeak=%ld chunksMax=%ld stackPeak=%ld stackMax=%ld meter=%llu\n",
		what, kind ? " " : "", kind ? kind : "",
		(long)the->currentHeapCount, (long)the->peakHeapCount, (long)the->maximumHeapCount,
		(long)the->currentChunksSize, (long)the->peakChunksSize, (long)the->maximumChunksSize,
		(long)(the->stackTop - the->stackPeak), (long)(the->stackTop - the->stackBottom), (unsigned long long)(the->meterIndex >> 16));
	fflush(stdout);
}
static void markPeaks(void)
{
	gThe->peakHeapCount = gThe->currentHeapCount;
	gThe->peakChunksSize = gThe->currentChunksSize;
	gThe->stackPeak = gThe->stackTop;
}


/* ---- census: what the live slots, and the chunks they own, belong to ----
 * Walks the slot heap (RAM only: the preloaded heap stays in flash) and groups every instance by
 * what it is: "function NAME [names in its scope]" (a function made at run time: XS copies the
 * bytecode of a preloaded module's inner function into a chunk, "(code of NAME)"), "null-proto {#,...}"
 * (a closure scope), "new CLASS", "{first keys}" (a plain object), "exotic KIND (CONSTRUCTOR)" (arrays,
 * buffers, maps...).
 * Lines: "@ikelet census <what> <count> <slots> <chunk bytes> <label>", then "@ikelet censusend <what>". */
#define kCensusSize 4096
typedef struct { char* label; long count; long slots; long chunks; } txCensusRow;
static txCensusRow gCensus[kCensusSize];

static void censusAdd(const char* label, long slots, long chunks)
{
	unsigned h = 5381;
	for (const char* c = label; *c; c++) h = h * 33 + (unsigned char)*c;
	for (unsigned i = 0; i < kCensusSize; i++) {
		txCensusRow* r = &gCensus[(h + i) % kCensusSize];
		if (!r->label) r->label = strdup(label);
		if (!strcmp(r->label, label)) {
			r->count++;
			r->slots += slots;
			r->chunks += chunks;
			return;
		}
	}
}

static long chunkSize(void* data)
{
	return (long)((txChunk*)(((txByte*)data) - sizeof(txChunk)))->size;
}

static int inChunks(txMachine* the, void* data)
{
	for (txBlock* b = the->firstBlock; b; b = b->nextBlock)
		if (((txByte*)data > (txByte*)b) && ((txByte*)data < b->current)) return 1;
	return 0;
}

static const char* keyName(txMachine* the, txID id)
{
	if (id == XS_NO_ID) return "?";
	char* name = fxGetKeyName(the, id);
	return name ? name : "#";
}

static const char* constructorName(txMachine* the, txSlot* prototype)
{
	for (txSlot* p = prototype ? prototype->next : C_NULL; p; p = p->next) {
		if ((p->ID == mxID(_constructor)) && (p->kind == XS_REFERENCE_KIND)) {
			txSlot* code = p->value.reference->next;
			return code ? keyName(the, code->ID) : "?";
		}
	}
	return C_NULL;
}

/* The chunk a slot owns, if any, and what to call it. */
static void* ownedChunk(txSlot* s)
{
	switch (s->kind) {
	case XS_STRING_KIND: return s->value.string;
	case XS_BIGINT_KIND: return s->value.bigint.data;
	case XS_ARGUMENTS_SLOPPY_KIND: case XS_ARGUMENTS_STRICT_KIND: case XS_ARRAY_KIND: case XS_STACK_KIND: return s->value.array.address;
	case XS_ARRAY_BUFFER_KIND: return s->value.arrayBuffer.address;
	case XS_CODE_KIND: return s->value.code.address;
	case XS_GLOBAL_KIND: case XS_MAP_KIND: case XS_SET_KIND: case XS_WEAK_MAP_KIND: case XS_WEAK_SET_KIND: return s->value.table.address;
	case XS_HOST_KIND: return s->value.host.data;
	case XS_KEY_KIND: return s->value.key.string;
	}
	return C_NULL;
}

static void names(txMachine* the, char* label, size_t size, int n, txSlot* first, const char* open, const char* close)
{
	int k = 0;
	n += snprintf(label + n, size - n, "%s", open);
	for (txSlot* p = first; p && (k < 5) && (n < (int)size - 40); p = p->next, k++)
		n += snprintf(label + n, size - n, "%s%s", k ? "," : "", keyName(the, p->ID));
	snprintf(label + n, size - n, "%s", close);
}

static void census(txMachine* the, const char* what)
{
	char label[160];
	for (txSlot* f = the->freeHeap; f; f = f->next) f->flag |= XS_MARK_FLAG;
	for (txSlot* block = the->firstHeap; block; block = block->next) {
		for (txSlot* s = block + 1; s < block->value.reference; s++) {
			if (s->flag & XS_MARK_FLAG) continue;
			void* data = ownedChunk(s);
			if (data && inChunks(the, data) && (s->kind != XS_ARRAY_BUFFER_KIND) && (s->kind != XS_ARRAY_KIND)) {
				if (s->kind == XS_CODE_KIND) snprintf(label, sizeof(label), "(code of %s)", keyName(the, s->ID));
				else snprintf(label, sizeof(label), "(chunk of slot kind %d)", s->kind);
				censusAdd(label, 0, chunkSize(data));
			}
			if (s->kind != XS_INSTANCE_KIND) continue;
			long slots = 1, chunks = 0;
			for (txSlot* p = s->next; p; p = p->next) {
				slots++;
				if ((p->kind == XS_ARRAY_BUFFER_KIND || p->kind == XS_ARRAY_KIND) && ownedChunk(p) && inChunks(the, ownedChunk(p))) chunks += chunkSize(ownedChunk(p));
			}
			txSlot* first = s->next;
			const char* ctor = constructorName(the, s->value.instance.prototype);
			if (first && ((first->kind == XS_CODE_KIND) || (first->kind == XS_CODE_X_KIND) || (first->kind == XS_CALLBACK_KIND) || (first->kind == XS_CALLBACK_X_KIND))) {
				int n = snprintf(label, sizeof(label), "function %s", keyName(the, first->ID));
				txSlot* scope = ((first->kind == XS_CODE_KIND) || (first->kind == XS_CODE_X_KIND)) ? first->value.code.closures : C_NULL;
				if (scope) names(the, label, sizeof(label), n, scope->next, " [", "]");
			}
			else if (first && (first->kind >= XS_ARGUMENTS_SLOPPY_KIND) && (first->kind <= XS_WEAK_SET_KIND))
				snprintf(label, sizeof(label), "exotic kind %d (%s)", first->kind, ctor ? ctor : "-");
			else if (ctor && strcmp(ctor, "Object"))
				snprintf(label, sizeof(label), "new %s", ctor);
			else
				names(the, label, sizeof(label), 0, first, ctor ? "{" : "null-proto {", "}");
			censusAdd(label, slots, chunks);
		}
	}
	for (txSlot* f = the->freeHeap; f; f = f->next) f->flag &= ~XS_MARK_FLAG;
	for (int i = 0; i < kCensusSize; i++) {
		txCensusRow* r = &gCensus[i];
		if (r->label && r->count) printf("@ikelet census %s %ld %ld %ld %s\n", what, r->count, r->slots, r->chunks, r->label);
		r->count = r->slots = r->chunks = 0;
	}
	printf("@ikelet censusend %s\n", what);
	fflush(stdout);
}

void fxAbort(txMachine* the, int status)
{
	census(the, "abort");
	printf("@ikelet abort %s ", fxAbortString(status));
	printStats("at", "abort");
	exit(2);
}

void fxQueuePromiseJobs(txMachine* the)
{
	the->promiseJobsQueued = 1;
}

/* ---- turns: one call into JavaScript, then its promise jobs ---- */
typedef void (*txTurn)(txMachine* the, void* context);

static void turn(const char* kind, txTurn fn, void* context)
{
	txMachine* the = gThe;
	if (gCollectEachTurn) {
		xsBeginHost(the);
		xsCollectGarbage();
		xsEndHost(the);
	}
	markPeaks();
	xsBeginHost(the);
	{
		xsTry {
			fn(the, context);
			while (the->promiseJobsQueued) {
				the->promiseJobsQueued = 0;
				fxRunPromiseJobs(the);
			}
		}
		xsCatch {
			printf("@ikelet exception %s\n", xsToString(xsException));
		}
	}
	xsEndHost(the);
	if (gTurns)
		printStats("turn", kind);
	fflush(stdout);
}

/* ---- time ---- */
void xs_time_ticks(xsMachine* the)
{
	xsResult = xsNumber(c_floor(nowMs()));
}

void xs_time_delta(xsMachine* the)
{
	double start = xsToNumber(xsArg(0));
	double end = (xsToInteger(xsArgc) > 1) ? xsToNumber(xsArg(1)) : c_floor(nowMs());
	xsResult = xsNumber(end - start);
}

/* ---- timer: Moddable's Timer.set / repeat / schedule / clear, ids instead of host objects ---- */
#define kTimers 16
typedef struct {
	int id;
	double at;
	double interval;
	txSlot callback;
} txTimer;
static txTimer gTimers[kTimers];
static int gTimerIds = 0;

/* A C slot that keeps a value alive: xsRemember links the slot itself into the GC roots, so it is
   forgotten before a new value is copied in, and remembered again after. */
static void keep(txMachine* the, txSlot* root, txSlot* value)
{
	xsForget(*root);
	*root = *value;
	xsRemember(*root);
}
static void drop(txMachine* the, txSlot* root)
{
	xsForget(*root);
	root->kind = XS_UNDEFINED_KIND;
}

static txTimer* findTimer(xsMachine* the, xsSlot* slot)
{
	if (xsTypeOf(*slot) != xsIntegerType && xsTypeOf(*slot) != xsNumberType)
		return NULL;
	int id = xsToInteger(*slot);
	for (int i = 0; i < kTimers; i++)
		if (gTimers[i].id == id)
			return &gTimers[i];
	return NULL;
}

static void scheduleTimer(txTimer* t, double delay, double interval)
{
	t->at = nowMs() + (delay > 0 ? delay : 0);
	t->interval = interval;
}

static void newTimer(xsMachine* the, double delay, double interval)
{
	for (int i = 0; i < kTimers; i++) {
		txTimer* t = &gTimers[i];
		if (t->id == 0) {
			t->id = ++gTimerIds;
			keep(the, &t->callback, &xsArg(0));
			scheduleTimer(t, delay, interval);
			xsResult = xsInteger(t->id);
			return;
		}
	}
	xsUnknownError("no free timer");
}

void xs_timer_set(xsMachine* the)
{
	int argc = xsToInteger(xsArgc);
	double delay = argc > 1 ? xsToNumber(xsArg(1)) : 0;
	double repeat = argc > 2 ? xsToNumber(xsArg(2)) : 0;
	newTimer(the, delay, repeat);
}

void xs_timer_repeat(xsMachine* the)
{
	double interval = xsToNumber(xsArg(1));
	newTimer(the, interval, interval);
}

void xs_timer_schedule(xsMachine* the)
{
	txTimer* t = findTimer(the, &xsArg(0));
	int argc = xsToInteger(xsArgc);
	if (t)
		scheduleTimer(t, argc > 1 ? xsToNumber(xsArg(1)) : 0, argc > 2 ? xsToNumber(xsArg(2)) : 0);
}

void xs_timer_clear(xsMachine* the)
{
	txTimer* t = findTimer(the, &xsArg(0));
	if (t) {
		t->id = 0;
		drop(the, &t->callback);
	}
}

void xs_timer_delay(xsMachine* the)
{
	usleep((useconds_t)(xsToNumber(xsArg(0)) * 1000));
}

static void fireTimer(txMachine* the, void* context)
{
	txTimer* t = context;
	xsVars(2);
	xsVar(0) = t->callback;
	xsVar(1) = xsInteger(t->id);
	if (t->interval > 0)
		scheduleTimer(t, t->interval, t->interval);
	else {
		t->id = 0;
		drop(the, &t->callback);
	}
	xsCallFunction1(xsVar(0), xsUndefined, xsVar(1));
}

/* ---- ikelet/uart: the modem line is a pty; bytes wait in a buffer the size the program asks for ---- */
static txSlot gUart;
static txSlot gUartOnReadable;
static unsigned char* gRx;
static size_t gRxCapacity, gRxLength;

void xs_ikelet_uart_constructor(xsMachine* the)
{
	int capacity = xsToInteger(xsArg(6));
	gRxCapacity = capacity > 0 ? (size_t)capacity : 8192;
	gRx = c_malloc(gRxCapacity);
	if (!gRx)
		xsUnknownError("no memory for the receive buffer");
	gRxLength = 0;
	keep(the, &gUart, &xsThis);
	keep(the, &gUartOnReadable, &xsArg(8));
}

void xs_ikelet_uart_destructor(void* data)
{
}

void xs_ikelet_uart_read(xsMachine* the)
{
	size_t count = gRxLength;
	if ((xsToInteger(xsArgc) > 0) && (xsTypeOf(xsArg(0)) != xsUndefinedType)) {
		int wanted = xsToInteger(xsArg(0));
		if ((wanted >= 0) && ((size_t)wanted < count))
			count = (size_t)wanted;
	}
	if (count == 0)
		return;
	xsResult = xsArrayBuffer(gRx, (txInteger)count);
	c_memmove(gRx, gRx + count, gRxLength - count);
	gRxLength -= count;
}

/* Runs `io` on the bytes of the buffer argument until all are done; `io` returns how many it did,
   0 to be called again, or -1 with errno. */
static xsUnsignedValue wholeBuffer(xsMachine* the, int writable, ssize_t (*io)(unsigned char* bytes, size_t count), const char* what)
{
	void* data;
	xsUnsignedValue count, total;
	_xsmcGetBuffer(the, &xsArg(0), &data, &count, writable);
	total = count;
	unsigned char* bytes = data;
	while (count > 0) {
		ssize_t n = io(bytes, count);
		if (n < 0)
			xsUnknownError("%s: %s", what, strerror(errno));
		bytes += n;
		count -= (xsUnsignedValue)n;
	}
	return total;
}

static ssize_t serialWrite(unsigned char* bytes, size_t count)
{
	ssize_t n = write(gSerial, bytes, count);
	if ((n < 0) && ((errno == EAGAIN) || (errno == EINTR))) {
		struct pollfd out = { gSerial, POLLOUT, 0 };
		poll(&out, 1, 100);
		return 0;
	}
	return n;
}

/* Writes the whole buffer (the pty takes it), so it returns its length and nothing stays queued. */
void xs_ikelet_uart_write(xsMachine* the)
{
	xsResult = xsInteger((txInteger)wholeBuffer(the, 0, serialWrite, "serial write"));
}

void xs_ikelet_uart_get_queued(xsMachine* the)
{
	xsResult = xsInteger(0);
}

void xs_ikelet_uart_close(xsMachine* the)
{
	drop(the, &gUartOnReadable);
}

void xs_ikelet_uart_get_overflows(xsMachine* the)
{
	xsResult = xsInteger(0);
}

static void uartReadable(txMachine* the, void* context)
{
	xsVars(1);
	xsVar(0) = xsInteger((txInteger)gRxLength);
	xsCallFunction1(gUartOnReadable, gUart, xsVar(0));
}

/* ---- ikelet/random ---- */
static ssize_t randomFill(unsigned char* bytes, size_t count)
{
	ssize_t n = getrandom(bytes, count, 0);
	return ((n < 0) && (errno == EINTR)) ? 0 : n;
}

void xs_ikelet_random_fill(xsMachine* the)
{
	wholeBuffer(the, 1, randomFill, "getrandom");
	xsResult = xsArg(0);
}

/* ---- the program's main module ---- */
static void runMain(txMachine* the, void* context)
{
	xsAwaitImport(((txPreparation*)xsPreparation())->main, XS_IMPORT_NAMESPACE);
}

static void openSerial(const char* path)
{
	gSerial = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (gSerial < 0) {
		fprintf(stderr, "ikelet-xs-device: cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	struct termios tio;
	if (tcgetattr(gSerial, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(gSerial, TCSANOW, &tio);
	}
}

static void command(const char* line)
{
	if (!strcmp(line, "stats"))
		printStats("stats", NULL);
	else if (!strcmp(line, "gc")) {
		xsBeginHost(gThe);
		xsCollectGarbage();
		xsEndHost(gThe);
		printStats("gc", NULL);
	}
	else if (!strcmp(line, "census")) {
		xsBeginHost(gThe);
		xsCollectGarbage();
		xsEndHost(gThe);
		census(gThe, "live");
	}
	else if (!strcmp(line, "mark"))
		markPeaks();
	else if (!strcmp(line, "exit"))
		exit(0);
}

int main(int argc, char* argv[])
{
	const char* serial = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--serial") && (i + 1 < argc))
			serial = argv[++i];
		else if (!strcmp(argv[i], "--gc-each-turn"))
			gCollectEachTurn = 1;
		else if (!strcmp(argv[i], "--turns"))
			gTurns = 1;
		else {
			fprintf(stderr, "usage: %s --serial PATH [--gc-each-turn] [--turns]\n", argv[0]);
			return 1;
		}
	}
	if (!serial) {
		fprintf(stderr, "ikelet-xs-device: --serial PATH is required\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	gStart = monotonicMs();
	openSerial(serial);

	gThe = xsPrepareMachine(NULL, xsPreparation(), "ikelet", NULL, NULL);
	if (!gThe) {
		fprintf(stderr, "ikelet-xs-device: cannot prepare the XS machine\n");
		return 1;
	}
	txMachine* the = gThe;
	gUart.kind = gUartOnReadable.kind = XS_UNDEFINED_KIND;
	for (int i = 0; i < kTimers; i++)
		gTimers[i].callback.kind = XS_UNDEFINED_KIND;
	printStats("boot", NULL);
	turn("main", runMain, NULL);

	char line[128];
	size_t lineLength = 0;
	for (;;) {
		double now = nowMs();
		int timeout = -1;
		for (int i = 0; i < kTimers; i++) {
			if (gTimers[i].id) {
				double wait = gTimers[i].at - now;
				int ms = wait <= 0 ? 0 : (int)c_ceil(wait);
				if ((timeout < 0) || (ms < timeout))
					timeout = ms;
			}
		}
		struct pollfd fds[2] = {
			{ gSerial, (gRx && (gRxLength < gRxCapacity)) ? POLLIN : 0, 0 },
			{ 0, POLLIN, 0 },
		};
		if (poll(fds, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		if (fds[1].revents & (POLLIN | POLLHUP)) {
			char c;
			ssize_t n = read(0, &c, 1);
			if (n <= 0)
				return 0;
			if (c == '\n') {
				line[lineLength] = 0;
				command(line);
				lineLength = 0;
			}
			else if (lineLength + 1 < sizeof(line))
				line[lineLength++] = c;
		}
		if (fds[0].revents & POLLIN) {
			ssize_t n = read(gSerial, gRx + gRxLength, gRxCapacity - gRxLength);
			if (n > 0) {
				gRxLength += (size_t)n;
				if (xsTypeOf(gUartOnReadable) != xsUndefinedType)
					turn("serial", uartReadable, NULL);
			}
		}
		now = nowMs();
		for (int i = 0; i < kTimers; i++) {
			if (gTimers[i].id && (gTimers[i].at <= now))
				turn("timer", fireTimer, &gTimers[i]);
		}
	}
}
