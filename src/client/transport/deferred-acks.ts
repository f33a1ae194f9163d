import type { IPublishPacket, MqttClient } from 'mqtt';

/**
 * The part of MQTT.js's client that sends a packet (not in its public types; package.json keeps
 * mqtt within 5.16.x, and the test suite fails if this stops working).
 */
interface PacketSender {
  _sendPacket(
    packet: { cmd: string; messageId?: number },
    callback?: (error?: Error) => void,
    ...rest: unknown[]
  ): void;
}

/**
 * Reads incoming messages off the socket at once but sends each QoS 1 PUBACK only when `ack` is
 * called. MQTT.js's own `handleMessage` hook ties the PUBACK to reading the next packet, so a
 * receiver behind a slow reader would stop reading its socket; some brokers (aedes) then stall
 * delivery to every client. Memory stays bounded because senders keep at most a pipe's capacity
 * unacknowledged by the receiver.
 *
 * Must be installed before the connection opens (a broker may send queued messages in the same
 * read as the CONNACK).
 */
export function deliverWithDeferredAcks(
  client: MqttClient,
  deliver: (packet: IPublishPacket, ack: () => void) => void,
): void {
  const sender = client as unknown as PacketSender;
  const sendPacket = sender._sendPacket.bind(client);
  const deferred = new Set<number>();
  sender._sendPacket = (packet, callback, ...rest) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined && deferred.delete(packet.messageId)) {
      callback?.();
      return;
    }
    sendPacket(packet, callback, ...rest);
  };
  client.handleMessage = (packet, callback) => {
    const messageId = packet.messageId;
    if (packet.qos === 1 && messageId !== undefined) {
      deferred.add(messageId);
      // After a takeover this client is closed for good: the broker redelivers what was not acknowledged.
      deliver(packet, () => {
        if (client.connected) sendPacket({ cmd: 'puback', messageId });
      });
    } else {
      deliver(packet, () => {});
    }
    callback();
  };
}
