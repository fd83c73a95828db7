/*
 * XS platform header of the Linux device host (host.c): XS's generic defaults, plus our own
 * promise-job queue and abort, and the ESP32 port's table minimum so that tables grow as there.
 */
#ifndef __IKELET_XS__
#define __IKELET_XS__

#undef mxLinux
#define mxLinux 1

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <unistd.h>

#define mxUseGCCAtomics 1
#define mxUsePOSIXThreads 1

#define mxUseDefaultMachinePlatform 1
#define mxUseDefaultBuildKeys 1
#define mxUseDefaultChunkAllocation 1
#define mxUseDefaultSlotAllocation 1
#define mxUseDefaultFindModule 1
#define mxUseDefaultLoadModule 1
#define mxUseDefaultParseScript 1
#define mxUseDefaultSharedChunks 1
#define mxUseDefaultDebug 1
/* host.c: promise jobs run after each turn; an abort is reported on stdout, then the process exits. */
#define mxUseDefaultQueuePromiseJobs 0
#define mxUseDefaultAbort 0

#define mxMachinePlatform \
	void* host; \
	int promiseJobsQueued;

/* As in xs/platforms/esp/xsPlatform.h. */
#define mxTableMinLength (1)

#endif /* __IKELET_XS__ */
