from pathlib import Path

from bot.bench.memory import listener_pid, peak_memory_mib, session_members

TCP_HEADER = "sl local_address rem_address st tx_queue rx_queue tr tm->when retrnsmt uid inode\n"
LISTENING = "0: 0100007F:138D 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 777 1\n"
CONNECTED = "1: 0100007F:138D 0100007F:C350 01 00000000:00000000 00:00000000 00000000 0 0 778 1\n"


def fake_proc(root: Path) -> Path:
    """Three processes: 10 (session 10) listens on 5005 and has child 11; 20 is unrelated."""
    (root / "net").mkdir(parents=True)
    # 127.0.0.1:5005 listening (0A), inode 777; a connected socket on the same port.
    (root / "net" / "tcp").write_text(TCP_HEADER + LISTENING + CONNECTED)
    (root / "net" / "tcp6").write_text(TCP_HEADER)
    processes = ((10, 10, 409600, ["777"]), (11, 10, 102400, []), (20, 20, 1024, ["778"]))
    for pid, session, hwm, sockets in processes:
        directory = root / str(pid)
        (directory / "fd").mkdir(parents=True)
        (directory / "stat").write_text(f"{pid} (rasa worker) S 1 {session} {session} 0 -1\n")
        (directory / "status").write_text(f"Name:\trasa\nVmHWM:\t  {hwm} kB\nVmRSS:\t 1000 kB\n")
        for index, inode in enumerate(sockets):
            (directory / "fd" / str(index)).symlink_to(f"socket:[{inode}]")
    return root


def test_the_listening_process_is_found_by_its_port(tmp_path):
    proc = fake_proc(tmp_path)
    assert listener_pid(5005, proc) == 10
    assert listener_pid(6000, proc) is None


def test_a_process_and_its_children_share_the_session(tmp_path):
    assert session_members(10, fake_proc(tmp_path)) == [10, 11]


def test_peak_memory_adds_up_the_session_and_skips_processes_that_are_gone(tmp_path):
    proc = fake_proc(tmp_path)
    assert peak_memory_mib({"rasa": 5005, "gone": 6000}, proc) == {"rasa": 500.0}


def test_real_proc_finds_this_process_listening(tmp_path):
    import os
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert listener_pid(port) == os.getpid()
        assert peak_memory_mib({"me": port})["me"] > 1
