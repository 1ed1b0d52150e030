"""Another app holding a global shortcut: grabs a key combination on the X root window (as a
desktop's own shortcuts do) and keeps it until stdin closes. Prints "grabbed" once it holds it.

Usage: python3 grab-key.py k   (Ctrl+Alt+K)
"""
import ctypes
import sys

CONTROL_MASK, MOD1_MASK = 1 << 2, 1 << 3  # Ctrl, Alt
GRAB_MODE_ASYNC = 1

x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
x11.XDefaultRootWindow.restype = ctypes.c_ulong
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XStringToKeysym.restype = ctypes.c_ulong
x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
x11.XKeysymToKeycode.restype = ctypes.c_ubyte
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XGrabKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_ulong,
                         ctypes.c_int, ctypes.c_int, ctypes.c_int]
x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]

display = x11.XOpenDisplay(None)
if not display:
    sys.exit("cannot open the display")
keycode = x11.XKeysymToKeycode(display, x11.XStringToKeysym(sys.argv[1].encode()))
x11.XGrabKey(display, keycode, CONTROL_MASK | MOD1_MASK, x11.XDefaultRootWindow(display),
             1, GRAB_MODE_ASYNC, GRAB_MODE_ASYNC)
x11.XSync(display, 0)
print("grabbed", flush=True)
sys.stdin.read()
