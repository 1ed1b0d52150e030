// A stand-in StatusNotifier host on the test's session bus. No tray host runs under Xvfb, so
// this plays the desktop's part: it owns org.kde.StatusNotifierWatcher, learns where the app's
// tray item lives, reads its menu over com.canonical.dbusmenu and clicks entries like a user.

import dbus from 'dbus-next';

const { Interface, ACCESS_READ } = dbus.interface;
const WATCHER = 'org.kde.StatusNotifierWatcher';

class Watcher extends Interface {
  constructor(items) {
    super(WATCHER);
    this.items = items;
  }
  get RegisteredStatusNotifierItems() {
    return this.items.map((item) => `${item.service}${item.path}`);
  }
  get IsStatusNotifierHostRegistered() {
    return true;
  }
  get ProtocolVersion() {
    return 0;
  }
  RegisterStatusNotifierHost() {}
}

Watcher.configureMembers({
  properties: {
    RegisteredStatusNotifierItems: { signature: 'as', access: ACCESS_READ },
    IsStatusNotifierHostRegistered: { signature: 'b', access: ACCESS_READ },
    ProtocolVersion: { signature: 'i', access: ACCESS_READ },
  },
  methods: { RegisterStatusNotifierHost: { inSignature: 's', outSignature: '' } },
});

/** One dbusmenu node as a plain object: { id, label, enabled, visible, checked, children }. */
function node([id, props, children]) {
  return {
    id,
    label: props.label?.value ?? '',
    enabled: props.enabled?.value ?? true,
    visible: props.visible?.value ?? true,
    checked: props['toggle-state']?.value === 1,
    children: children.map((child) => node(child.value)),
  };
}

export async function startTrayHost() {
  const bus = dbus.sessionBus();
  const items = [];
  bus.export('/StatusNotifierWatcher', new Watcher(items));
  // Registration needs the caller's bus name, which only the raw message carries.
  bus.addMethodHandler((msg) => {
    if (msg.interface !== WATCHER || msg.member !== 'RegisterStatusNotifierItem') return false;
    const arg = msg.body[0];
    items.push(arg.startsWith('/') ? { service: msg.sender, path: arg } : { service: arg, path: '/StatusNotifierItem' });
    bus.send(dbus.Message.newMethodReturn(msg, '', []));
    return true;
  });
  await bus.requestName(WATCHER, 0);

  async function menuInterface() {
    const item = items.at(-1);
    if (!item) throw new Error('no tray item has registered yet');
    const object = await bus.getProxyObject(item.service, item.path);
    const props = object.getInterface('org.freedesktop.DBus.Properties');
    const menuPath = (await props.Get('org.kde.StatusNotifierItem', 'Menu')).value;
    const menu = await bus.getProxyObject(item.service, menuPath);
    return menu.getInterface('com.canonical.dbusmenu');
  }

  async function itemProperty(name) {
    const item = items.at(-1);
    const object = await bus.getProxyObject(item.service, item.path);
    const props = object.getInterface('org.freedesktop.DBus.Properties');
    return (await props.Get('org.kde.StatusNotifierItem', name)).value;
  }

  return {
    items,
    /** The icon the tray shows now: a PNG file's path (how libappindicator publishes it). */
    iconPath: () => itemProperty('IconName'),
    /** The visible top-level entries of the tray menu. */
    async menu() {
      const menu = await menuInterface();
      const [, layout] = await menu.GetLayout(0, -1, []);
      return node(layout).children.filter((entry) => entry.visible);
    },
    /**
     * Clicks the entry at `path`: a top-level label, or a submenu's label and then an entry's.
     * The tray rebuilds its menu when the timer or the sync status changes, which gives entries
     * new ids: a click that lands on a stale id reads the menu again and tries once more.
     */
    async click(...path) {
      for (let attempt = 1; ; attempt++) {
        let entries = await this.menu();
        let entry;
        for (const label of path) {
          entry = entries.find((e) => e.label.replace(/_/g, '') === label);
          if (!entry) throw new Error(`no tray entry "${label}" in ${JSON.stringify(entries.map((e) => e.label))}`);
          entries = entry.children;
        }
        try {
          const menu = await menuInterface();
          await menu.Event(entry.id, 'clicked', new dbus.Variant('i', 0), Math.floor(Date.now() / 1000));
          return;
        } catch (error) {
          if (attempt >= 5 || !/does not refer to a menu item/.test(error.message)) throw error;
        }
      }
    },
    close() {
      bus.disconnect();
    },
  };
}
