"""The demo store: a simulated online shop served over real HTTP on 127.0.0.1.

It backs ``orderupd-tui --demo``, ``orderupd-tui demo-server``, the
integration tests and the benchmarks. Entry points:

- :class:`orderupd_tui.demo.server.DemoServer`: in-process server (a thread);
- :func:`orderupd_tui.demo.process.spawn_demo_server`: the server in its own process;
- :class:`orderupd_tui.demo.control.DemoControl`: client of the ``/_demo/`` control API;
- :class:`orderupd_tui.demo.state.DemoStore`: the orders and their changes.
"""
