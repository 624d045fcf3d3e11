//! The database server's hardware for the settings recommendations: stated in config.toml's
//! `[hardware]`, a profile's `hardware` table or on the command line, and, when the server is on this
//! machine (a unix socket, localhost or a loopback address), read from it: RAM from /proc/meminfo
//! (or the cgroup limit when lower), CPUs from `available_parallelism`, storage from the rotational
//! flag of /sys/block. What the user states wins, part by part. The parsing and the note that says
//! where each part came from are `model::tune`'s; this module only reads files and decides.

use std::net::IpAddr;

use crate::config::Config;
use crate::conn::{ConnTarget, Host};
use crate::model::settings::{TuneContext, skipped_note};
use crate::model::tune::{
    HardwareOrigin, HardwareSpec, hardware_note, meminfo_total, round_ram,
    storage_from_block_devices,
};

/// Whether a host name or address is this machine.
fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// How the connection reaches this machine's server (`over a unix socket`, `on localhost`), or
/// `None` when some host of the target is elsewhere. A tunnel (ssh -L) to a remote server looks
/// local too; the note says to state the hardware then.
pub fn local_connection(target: &ConnTarget) -> Option<&'static str> {
    if target.hosts.is_empty() {
        return None;
    }
    let mut how = "over a unix socket";
    for h in &target.hosts {
        if let Some(addr) = &h.hostaddr {
            if !is_loopback(addr) {
                return None;
            }
            how = "on a loopback address";
            continue;
        }
        match &h.host {
            Host::Unix(_) => {}
            Host::Tcp(name) if is_loopback(name) => how = "on localhost",
            Host::Tcp(_) => return None,
        }
    }
    Some(how)
}

/// The cgroup (v2, else v1) memory limit of this process, when one is set.
fn cgroup_memory_limit() -> Option<u64> {
    for path in [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ] {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(n) = text.trim().parse::<u64>()
        {
            // v1 reports "no limit" as a huge page-aligned number
            if n < (1 << 60) {
                return Some(n);
            }
        }
    }
    None
}

/// Read this machine's RAM, CPU count and storage kind; parts that cannot be read stay unknown.
pub fn read_machine() -> HardwareSpec {
    let ram = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| meminfo_total(&t))
        .map(|total| cgroup_memory_limit().map_or(total, |limit| limit.min(total)))
        .map(round_ram);
    let cpus = std::thread::available_parallelism()
        .ok()
        .and_then(|n| u32::try_from(n.get()).ok());
    let mut devices = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/sys/block") {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Ok(flag) = std::fs::read_to_string(e.path().join("queue/rotational")) {
                devices.push((name, flag.trim() == "1"));
            }
        }
    }
    HardwareSpec {
        ram,
        cpus,
        storage: storage_from_block_devices(&devices),
        ..Default::default()
    }
}

/// What the user stated, in rising priority: config.toml's `[hardware]`, the profile's `hardware`,
/// the command line.
pub fn stated(config: &Config, profile: Option<&str>, flags: HardwareSpec) -> HardwareSpec {
    let from_profile = profile
        .and_then(|p| config.profiles.get(p))
        .and_then(|p| p.hardware)
        .unwrap_or_default();
    config.hardware.over(from_profile).over(flags)
}

/// The hardware context of the `setting` check: the stated hardware over what this machine says
/// when the server is on it (and detection is not turned off), with the note saying which is which.
/// `read` reads the machine (`read_machine`; tests pass their own).
pub fn resolve(
    stated: HardwareSpec,
    target: &ConnTarget,
    pooled: bool,
    read: impl FnOnce() -> HardwareSpec,
) -> TuneContext {
    let local = local_connection(target).filter(|_| stated.detect.unwrap_or(true));
    let machine = local.map(|_| read()).unwrap_or_default();
    let merged = machine.over(stated);
    let mut notes = Vec::new();
    let hardware = merged.complete();
    match &hardware {
        Some(hw) => notes.push(hardware_note(
            &HardwareOrigin { machine, stated },
            hw,
            local.unwrap_or(""),
        )),
        None if local.is_some() => notes.push(
            "hardware recommendations skipped: this machine's RAM could not be read; state it \
             with --ram 16GB (and --cpus, --storage, --workload) or config.toml's [hardware]"
                .into(),
        ),
        None => notes.push(skipped_note()),
    }
    TuneContext {
        hardware,
        notes,
        pooled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::{Environment, parse_conninfo, resolve as resolve_target};
    use crate::model::tune::{Storage, Workload};

    fn target(ci: &str) -> ConnTarget {
        let params = parse_conninfo(ci).expect("conninfo");
        let env = Environment::from_vars(std::iter::empty(), None, Some("me".into()));
        resolve_target(&params, &env).expect("target")
    }

    fn machine() -> HardwareSpec {
        HardwareSpec {
            ram: Some(8 << 30),
            cpus: Some(4),
            storage: Some(Storage::Nvme),
            ..Default::default()
        }
    }

    #[test]
    fn local_means_socket_localhost_or_loopback_for_every_host() {
        assert_eq!(
            local_connection(&target("host=/tmp port=5432")),
            Some("over a unix socket")
        );
        assert_eq!(
            local_connection(&target("host=localhost")),
            Some("on localhost")
        );
        assert!(local_connection(&target("host=127.0.0.1")).is_some());
        assert!(local_connection(&target("host=::1")).is_some());
        assert!(local_connection(&target("host=db.example.com")).is_none());
        assert!(local_connection(&target("host=localhost,db.example.com")).is_none());
        assert!(local_connection(&target("host=localhost hostaddr=10.0.0.5")).is_none());
    }

    #[test]
    fn the_machine_fills_in_what_is_not_stated() {
        let stated = HardwareSpec {
            workload: Some(Workload::Oltp),
            cpus: Some(16),
            ..Default::default()
        };
        let ctx = resolve(stated, &target("host=/tmp"), false, machine);
        let hw = ctx.hardware.expect("hardware");
        assert_eq!(hw.ram_bytes, 8 << 30);
        assert_eq!(hw.cpus, Some(16));
        assert_eq!(hw.storage, Storage::Nvme);
        assert_eq!(hw.workload, Workload::Oltp);
        assert!(
            ctx.notes[0].starts_with("hardware read from this machine (over a unix socket): 8GB RAM, nvme storage; stated: 16 CPUs, oltp workload"),
            "{}",
            ctx.notes[0]
        );
    }

    #[test]
    fn a_remote_server_needs_the_hardware_stated() {
        let ctx = resolve(
            HardwareSpec::default(),
            &target("host=db.example.com"),
            false,
            || panic!("a remote server's hardware is not this machine's"),
        );
        assert!(ctx.hardware.is_none());
        assert!(ctx.notes[0].contains("skipped"), "{}", ctx.notes[0]);
        assert!(ctx.notes[0].contains("--ram 16GB"), "{}", ctx.notes[0]);
        let stated = HardwareSpec {
            ram: Some(32 << 30),
            ..Default::default()
        };
        let ctx = resolve(stated, &target("host=db.example.com"), true, machine);
        assert_eq!(ctx.hardware.map(|h| h.ram_bytes), Some(32 << 30));
        assert!(ctx.pooled);
    }

    #[test]
    fn detection_can_be_turned_off() {
        let stated = HardwareSpec {
            detect: Some(false),
            ..Default::default()
        };
        let ctx = resolve(stated, &target("host=/tmp"), false, || {
            panic!("detect = false must not read the machine")
        });
        assert!(ctx.hardware.is_none());
    }

    #[test]
    fn profile_hardware_wins_over_the_table_and_flags_over_both() {
        let c = Config::from_toml_str(
            "[hardware]\nram = \"8GB\"\ncpus = 2\n[profiles.p]\nhost = \"x\"\nhardware = { ram = \"64GB\" }\n",
            "config.toml",
        )
        .expect("config");
        let flags = HardwareSpec {
            cpus: Some(32),
            ..Default::default()
        };
        let s = stated(&c, Some("p"), flags);
        assert_eq!(s.ram, Some(64 << 30));
        assert_eq!(s.cpus, Some(32));
        let s = stated(&c, None, HardwareSpec::default());
        assert_eq!(s.ram, Some(8 << 30));
        assert_eq!(s.cpus, Some(2));
    }

    #[test]
    fn this_machine_can_be_read() {
        // the test machine is Linux: RAM and CPUs are always there
        let m = read_machine();
        assert!(m.ram.is_some_and(|r| r > 0), "{m:?}");
        assert!(m.cpus.is_some_and(|c| c > 0), "{m:?}");
    }
}
