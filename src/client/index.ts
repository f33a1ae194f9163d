// The client's one face: what the command line (and any other program) uses to send into and
// receive from pipes. Everything else under src/client/ is how it does so.
export { receive } from './receiver/receiver.js';
export type { ReceiveEvents, ReceiveRequest } from './receiver/request.js';
export { send } from './sender/sender.js';
export type { SendEvents, SendRequest } from './sender/request.js';
export { DEFAULT_SEND_SETTINGS, type SendSettings } from './sender/settings.js';
export { parseBrokerUrl, describeTarget, type BrokerTarget } from './transport/broker-target.js';
export { hostnameOf, portOf } from './transport/url-parts.js';
export { redactUserInfo } from '../protocol/redact-url.js';
export { DEFAULT_TIMINGS, type Timings } from './timings.js';
export { parsePin, usesTls, type TlsTrust } from './transport/tls-trust.js';
export { parseProxyUrl, type ProxySetting } from './transport/proxy.js';
export { PipeError, type FailureKind, type Remedy } from '../protocol/errors.js';
export { checkPipeName, displayName, pipeTopics, topicRoot, type PipeTopics } from '../protocol/topics.js';
export { readStatus, type BrokerStatus, type PipeStatus } from './pipe-status.js';
