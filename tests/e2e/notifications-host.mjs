// A stand-in notification server on the test's session bus. No desktop runs under Xvfb, so this
// plays its part: it owns org.freedesktop.Notifications and keeps each notification it is sent,
// which is how a test sees that one was delivered (the plugin's `show()` succeeds regardless).

import dbus from 'dbus-next';

const { Interface } = dbus.interface;
const NAME = 'org.freedesktop.Notifications';

class Notifications extends Interface {
  constructor(received) {
    super(NAME);
    this.received = received;
  }
  GetCapabilities() {
    return ['body'];
  }
  GetServerInformation() {
    return ['stint-test', 'stint', '1', '1.2'];
  }
  Notify(appName, replacesId, icon, summary, body) {
    this.received.push({ appName, summary, body });
    return this.received.length;
  }
  CloseNotification() {}
}

Notifications.configureMembers({
  methods: {
    GetCapabilities: { inSignature: '', outSignature: 'as' },
    GetServerInformation: { inSignature: '', outSignature: 'ssss' },
    Notify: { inSignature: 'susssasa{sv}i', outSignature: 'u' },
    CloseNotification: { inSignature: 'u', outSignature: '' },
  },
});

export async function startNotificationsHost() {
  const bus = dbus.sessionBus();
  const received = [];
  bus.export('/org/freedesktop/Notifications', new Notifications(received));
  await bus.requestName(NAME, 0);
  return {
    /** Every notification shown so far: { appName, summary, body }. */
    received,
    close() {
      bus.disconnect();
    },
  };
}
