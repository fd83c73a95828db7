/*
 * Native half of ikelet/random (see random.js). esp_fill_random() reads the hardware RNG;
 * with RF off its output is only as good as the entropy source, so the SAR ADC noise source
 * is enabled for the duration of the fill (bootloader_random_enable). That source must not
 * run while Wi-Fi, BT or the ADC are in use: ikelet uses none of them (the modem is on UART).
 */
#include "xsmc.h"
#include "xsHost.h"

#include "esp_random.h"
#include "bootloader_random.h"

void xs_ikelet_random_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;

	xsmcGetBufferWritable(xsArg(0), &data, &length);
	if (length) {
		bootloader_random_enable();
		esp_fill_random(data, length);
		bootloader_random_disable();
	}
	xsResult = xsArg(0);
}
