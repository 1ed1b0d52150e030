// A stand-in logind (org.freedesktop.login1). The app looks for logind on the system bus; the
// test points DBUS_SYSTEM_BUS_ADDRESS at its own session bus, where this owns the name, so it can
// say what a real logind says when the machine goes to sleep and wakes and when the screen is
// locked and unlocked (the session's LockedHint, which a lock screen sets) — without suspending
// the machine the tests run on.

import dbus from 'dbus-next';

const { Interface, ACCESS_READ } = dbus.interface;
const NAME = 'org.freedesktop.login1';
const SESSION = '/org/freedesktop/login1/session/_31';

class Manager extends Interface {
  constructor() {
    super('org.freedesktop.login1.Manager');
  }
  GetSession(id) {
    if (id !== 'auto') throw new dbus.DBusError('org.freedesktop.login1.NoSuchSession', `No session '${id}' known`);
    return SESSION;
  }
  PrepareForSleep(start) {
    return start;
  }
}

Manager.configureMembers({
  methods: { GetSession: { inSignature: 's', outSignature: 'o' } },
  signals: { PrepareForSleep: { signature: 'b' } },
});

class Session extends Interface {
  constructor() {
    super('org.freedesktop.login1.Session');
    this._locked = false;
  }
  get LockedHint() {
    return this._locked;
  }
}

Session.configureMembers({
  properties: { LockedHint: { signature: 'b', access: ACCESS_READ } },
});

export async function startLogindHost() {
  const bus = dbus.sessionBus();
  const manager = new Manager();
  const session = new Session();
  bus.export('/org/freedesktop/login1', manager);
  bus.export(SESSION, session);
  await bus.requestName(NAME, 0);
  return {
    /** PrepareForSleep(true): the machine is about to sleep. */
    sleep: () => manager.PrepareForSleep(true),
    /** PrepareForSleep(false): it woke. */
    wake: () => manager.PrepareForSleep(false),
    /** What a lock screen does: LockedHint turns true (told by PropertiesChanged). */
    lock() {
      session._locked = true;
      Interface.emitPropertiesChanged(session, { LockedHint: true }, []);
    },
    unlock() {
      session._locked = false;
      Interface.emitPropertiesChanged(session, { LockedHint: false }, []);
    },
    close() {
      bus.disconnect();
    },
  };
}
