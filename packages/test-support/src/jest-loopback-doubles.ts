import { allowLoopbackOutbound } from '@integrador/connections';

/**
 * A Jest setup file (jest.config.js `setupFiles`): the suite's doubles (ERPs, PBXs, receptors, the test databases)
 * listen on loopback, which `allowPrivateNetwork` reaches only when the operator opens it (OUTBOUND_ALLOW_LOOPBACK).
 * The test run is that operator: opened here for the code under test in each file's process, and for the apps a test
 * spawns by testEnv().inherited. The tests of the refusal itself close it (allowLoopbackOutbound(false)) and reopen it.
 */
allowLoopbackOutbound(true);
