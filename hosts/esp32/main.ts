/**
 * The main of ikelet's own ESP32 project (`npm run build:esp32`): the agent, device.network and the
 * firmware fetcher all start in setup/ikelet (setup.ts) before any main runs, so this one has
 * nothing left to do. Your project has its own main instead: README, "Add ikelet to your project".
 */
trace('ikelet: main: no app of its own; device.network carries the tunnel (README: "Add ikelet to your project")\n');
