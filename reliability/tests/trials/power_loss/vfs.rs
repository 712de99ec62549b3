//! A VFS that can lose power: registered as [`NAME`] beside SQLite's default VFS (never as
//! the default), it forwards every call to the default VFS and remembers, per file, what is
//! durable.
//!
//! The model. Writes reach the real file at once (so reads, sizes, locks and the WAL index
//! behave exactly as with the default VFS: this is the operating system's page cache); the
//! VFS keeps the disk beside it:
//! - each file's content (an inode) is durable as it was at its last `xSync`; a file first
//!   seen in a run is durable as it is when opened (the run's power loss is the only one; what
//!   came before had time to reach the disk), a file the run creates starts empty;
//! - directory entries are durable when the directory is synced: the default VFS does that
//!   inside the first `xSync` of each journal or WAL it opens to create, so creating or
//!   deleting a file is durable at the next such sync. Until then a created file is absent
//!   after the power loss, and a deleted one comes back with its durable content (in
//!   rollback-journal mode with `synchronous = FULL`, SQLite deletes the journal at commit
//!   without a directory sync: the journal can come back hot and roll that commit back).
//!
//! Syncs are counted across the tracked files (main database, rollback journal, WAL; temporary
//! files are forwarded untracked): the `k`-th sync of a run is the cut. It does not happen: it
//! fails with `SQLITE_IOERR_FSYNC`, and from then on every write, truncate, sync and delete
//! fails without reaching the file, so nothing the library or SQLite does after the cut (a
//! rollback, a failure record, a checkpoint on close) reaches the disk. Once the connection is
//! closed, [`power_loss`] puts the directory and each file back as the disk holds them,
//! optionally tears the last unsynced write (a random prefix of it, ending on a 512-byte sector
//! boundary, reaches the disk; writes that continue the file's previous unsynced write count
//! as one, as a journal's records or a run of database pages reach the disk as one extent) and
//! deletes the `-shm` files, which live in memory in the model of a real machine.
//!
//! `xDeviceCharacteristics` is the default VFS's without any atomic-write, safe-append or
//! sequential claim (a torn write keeps only a prefix, and writes may land out of order);
//! `POWERSAFE_OVERWRITE` stays, since a torn write here never touches bytes outside its range.
//! The file methods are version 2 (no `xFetch`): SQLite then reads through `xRead`, never a
//! memory map of the file.

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, MutexGuard, OnceLock, PoisonError};

use migrate_runtime::rusqlite::ffi;

use crate::common::Rng;

/// The name the VFS is registered under.
pub const NAME: &str = "power_loss";

/// The sector size torn writes are cut on.
pub const SECTOR: u64 = 512;

/// An unsynced write (contiguous writes merged into one extent): where, and its bytes (kept
/// for the one that may be torn).
#[derive(Debug, Clone)]
struct Write {
    seq: u64,
    offset: u64,
    data: Vec<u8>,
}

/// An inode: a file's content, whatever its name.
type Inode = usize;

#[derive(Default)]
struct State {
    /// The sync that fails and ends the run (1-based), if any.
    cut_at: Option<usize>,
    /// Syncs of tracked files so far in this run.
    syncs: usize,
    /// True from the cut on: nothing reaches a file any more.
    dead: bool,
    seq: u64,
    /// Files open through this VFS.
    open: usize,
    /// Per inode, its content at its last sync.
    durable: Vec<Vec<u8>>,
    /// The directory entries of tracked files as the run sees them.
    names: HashMap<PathBuf, Inode>,
    /// The directory entries as the disk holds them (at the last directory sync).
    names_on_disk: HashMap<PathBuf, Inode>,
    /// Per inode, its last write since its last sync.
    last_write: HashMap<Inode, Write>,
    /// The last unsynced write of all, as it was when the power went.
    at_cut: Option<(Inode, Write)>,
    /// Main database files opened in this run (their `-shm` is lost with the power).
    databases: Vec<PathBuf>,
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(|| Mutex::new(State::default()));

/// The state; a panic elsewhere must not turn every later VFS call into an abort.
fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers the VFS (once per process).
pub fn register() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // SAFETY: the default VFS outlives the process; the copy is leaked, so SQLite may
            // keep a pointer to it for ever.
            unsafe {
                let real = ffi::sqlite3_vfs_find(std::ptr::null());
                if real.is_null() {
                    return Err("SQLite has no default VFS".to_owned());
                }
                let mut vfs: ffi::sqlite3_vfs = std::ptr::read(real);
                vfs.szOsFile = (std::mem::size_of::<File>() as c_int) + (*real).szOsFile;
                vfs.pNext = std::ptr::null_mut();
                vfs.zName = CString::new(NAME).map_err(|e| e.to_string())?.into_raw();
                vfs.pAppData = real.cast();
                vfs.xOpen = Some(x_open);
                vfs.xDelete = Some(x_delete);
                let rc = ffi::sqlite3_vfs_register(Box::into_raw(Box::new(vfs)), 0);
                if rc == ffi::SQLITE_OK {
                    Ok(())
                } else {
                    Err(format!("sqlite3_vfs_register: code {rc}"))
                }
            }
        })
        .clone()
}

/// Starts a run: forgets the last one, and cuts at sync `cut_at` (1-based) when given.
pub fn begin(cut_at: Option<usize>) {
    *state() = State {
        cut_at,
        ..State::default()
    };
}

/// What a run did, read after its connection is closed.
#[derive(Debug, Clone, Copy)]
pub struct RunLog {
    /// Syncs of tracked files, including the one that was cut.
    pub syncs: usize,
    /// Whether the cut happened.
    pub cut: bool,
    /// Files still open through the VFS (0 once the connection is closed).
    pub open: usize,
}

pub fn log() -> RunLog {
    let state = state();
    RunLog {
        syncs: state.syncs,
        cut: state.dead,
        open: state.open,
    }
}

/// What happened to the last unsynced write in a torn power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tear {
    /// Every unsynced write was dropped (the `drop` variant, or no unsynced write).
    Dropped,
    /// The file it went to has no name any more (deleted before the cut).
    NotOnDisk,
    /// The write fit in one sector and reached the disk whole.
    WholeSector,
    /// A prefix of the write reached the disk, cut at a sector boundary inside it.
    Torn,
}

/// What a power loss did to the files.
#[derive(Debug, Clone, Copy)]
pub struct Loss {
    pub tear: Tear,
    /// Files deleted since the last directory sync, back with their durable content.
    pub back: usize,
    /// Files created since the last directory sync, gone.
    pub gone: usize,
}

/// The power goes: the directory and every tracked file of the run are put back as the disk
/// holds them, the last unsynced write is torn when `tear` gives a generator, and `-shm` files
/// are deleted. Call it with every file closed.
pub fn power_loss(tear: Option<&mut Rng>) -> Result<Loss, String> {
    let state = state();
    if state.open != 0 {
        return Err(format!(
            "{} files still open through the VFS at the power loss",
            state.open
        ));
    }
    let mut loss = Loss {
        tear: Tear::Dropped,
        back: 0,
        gone: 0,
    };
    let mut on_disk = state.names_on_disk.clone();
    // The file the torn write went to: if it was created since the last directory sync, its
    // entry reached the disk with the write (as a journaling file system orders them).
    let torn = match (tear, &state.at_cut) {
        (Some(rng), Some((inode, write))) => {
            let named = |names: &HashMap<PathBuf, Inode>| {
                names
                    .iter()
                    .find(|(_, i)| *i == inode)
                    .map(|(path, _)| path.clone())
            };
            match named(&state.names_on_disk).or_else(|| named(&state.names)) {
                Some(path) => {
                    on_disk.insert(path.clone(), *inode);
                    Some((path, write, rng))
                }
                None => {
                    loss.tear = Tear::NotOnDisk;
                    None
                }
            }
        }
        _ => None,
    };
    let paths = state.names.keys().chain(
        on_disk
            .keys()
            .filter(|path| !state.names.contains_key(*path)),
    );
    for path in paths {
        match on_disk.get(path) {
            Some(inode) => {
                if state.names.get(path) != Some(inode) {
                    loss.back += 1;
                }
                std::fs::write(path, &state.durable[*inode])
                    .map_err(|e| format!("restore {}: {e}", path.display()))?;
            }
            None => {
                loss.gone += 1;
                if path.exists() {
                    std::fs::remove_file(path)
                        .map_err(|e| format!("remove {}: {e}", path.display()))?;
                }
            }
        }
    }
    if let Some((path, write, rng)) = torn {
        loss.tear = tear_write(&path, write, rng)?;
    }
    for database in &state.databases {
        let shm = migrate_test_kit::with_suffix(database, "-shm");
        if shm.exists() {
            std::fs::remove_file(&shm).map_err(|e| format!("remove {}: {e}", shm.display()))?;
        }
    }
    Ok(loss)
}

/// Writes a prefix of `write` to `path`, up to a random sector boundary inside it (all of it
/// when it fits in one sector).
fn tear_write(path: &Path, write: &Write, rng: &mut Rng) -> Result<Tear, String> {
    let end = write.offset + write.data.len() as u64;
    let first = (write.offset / SECTOR + 1) * SECTOR;
    let inner: Vec<u64> = (first..end).step_by(SECTOR as usize).collect();
    let (keep_to, tear) = if inner.is_empty() {
        (end, Tear::WholeSector)
    } else {
        (*rng.pick(&inner), Tear::Torn)
    };
    let kept = &write.data[..(keep_to - write.offset) as usize];
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| format!("tear {}: {e}", path.display()))?;
    file.write_all_at(kept, write.offset)
        .map_err(|e| format!("tear {}: {e}", path.display()))?;
    Ok(tear)
}

/// A tracked file's name and inode.
struct Tracked {
    path: PathBuf,
    inode: Inode,
    /// The default VFS syncs the directory at this handle's first sync.
    sync_directory: bool,
}

/// Our file: SQLite's header, then the default VFS's file in the same allocation.
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    /// The tracked file (a leaked `Box`, freed by `xClose`), or null.
    tracked: *mut Tracked,
}

impl File {
    /// # Safety
    /// `file` is a `File` this VFS opened.
    unsafe fn of<'a>(file: *mut ffi::sqlite3_file) -> &'a File {
        unsafe { &*file.cast::<File>() }
    }

    /// The tracked file, if any.
    ///
    /// # Safety
    /// The caller holds the state's lock (which serializes every use of it) for as long as it
    /// keeps the reference, and the file is open.
    unsafe fn tracked<'t>(&self) -> Option<&'t mut Tracked> {
        // SAFETY: null or a live `Box<Tracked>` until `xClose`; see above.
        unsafe { self.tracked.as_mut() }
    }

    fn methods(&self) -> &ffi::sqlite3_io_methods {
        // SAFETY: the default VFS set its methods when it opened the file (else ours are unset
        // and SQLite calls nothing on it).
        unsafe { &*(*self.real).pMethods }
    }
}

/// Calls the default VFS's method `$method` on the real file.
macro_rules! forward {
    ($file:expr, $method:ident $(, $arg:expr)*) => {{
        let file = $file;
        match file.methods().$method {
            Some(method) => method(file.real $(, $arg)*),
            None => ffi::SQLITE_IOERR,
        }
    }};
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 2,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: None,
    xUnfetch: None,
};

fn real_vfs(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    // SAFETY: our VFS keeps the default one in its app data (see `register`).
    unsafe { (*vfs).pAppData.cast() }
}

unsafe extern "C" fn x_open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let real_vfs = real_vfs(vfs);
    let kinds = ffi::SQLITE_OPEN_MAIN_DB | ffi::SQLITE_OPEN_MAIN_JOURNAL | ffi::SQLITE_OPEN_WAL;
    // SAFETY: SQLite allocated `szOsFile` bytes at `file`: ours, then the real file's; `name`
    // is null or a NUL-terminated path.
    unsafe {
        let ours = file.cast::<File>();
        let real = file
            .cast::<u8>()
            .add(std::mem::size_of::<File>())
            .cast::<ffi::sqlite3_file>();
        (*ours).base.pMethods = std::ptr::null();
        (*ours).real = real;
        (*ours).tracked = std::ptr::null_mut();
        let Some(open) = (*real_vfs).xOpen else {
            return ffi::SQLITE_CANTOPEN;
        };
        let path = (!name.is_null() && flags & kinds != 0).then(|| {
            PathBuf::from(
                CStr::from_ptr(name.cast::<c_char>())
                    .to_string_lossy()
                    .into_owned(),
            )
        });
        let existed = path.as_ref().is_some_and(|p| p.exists());
        let rc = open(real_vfs, name, real, flags, out_flags);
        if (*real).pMethods.is_null() {
            return rc;
        }
        // From here SQLite calls our xClose, even when the open failed.
        (*ours).base.pMethods = &METHODS;
        let mut state = state();
        state.open += 1;
        let Some(path) = path.filter(|_| rc == ffi::SQLITE_OK) else {
            return rc;
        };
        let inode = match state.names.get(&path) {
            Some(inode) => *inode,
            None => {
                let inode = state.durable.len();
                if existed {
                    // There before the run: on the disk as it is.
                    state.durable.push(std::fs::read(&path).unwrap_or_default());
                    state.names_on_disk.insert(path.clone(), inode);
                } else {
                    state.durable.push(Vec::new());
                }
                state.names.insert(path.clone(), inode);
                inode
            }
        };
        if flags & ffi::SQLITE_OPEN_MAIN_DB != 0 && !state.databases.contains(&path) {
            state.databases.push(path.clone());
        }
        let sync_directory = flags & ffi::SQLITE_OPEN_CREATE != 0
            && flags & (ffi::SQLITE_OPEN_MAIN_JOURNAL | ffi::SQLITE_OPEN_WAL) != 0;
        (*ours).tracked = Box::into_raw(Box::new(Tracked {
            path,
            inode,
            sync_directory,
        }));
        rc
    }
}

unsafe extern "C" fn x_delete(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    let real_vfs = real_vfs(vfs);
    let mut state = state();
    if state.dead {
        return ffi::SQLITE_IOERR_DELETE;
    }
    // SAFETY: forwarded as SQLite gave them.
    let rc = unsafe {
        match (*real_vfs).xDelete {
            Some(delete) => delete(real_vfs, name, sync_dir),
            None => ffi::SQLITE_IOERR_DELETE,
        }
    };
    if rc == ffi::SQLITE_OK && !name.is_null() {
        // SAFETY: a NUL-terminated path from SQLite.
        let path = PathBuf::from(
            unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned(),
        );
        state.names.remove(&path);
        if sync_dir != 0 {
            sync_directory(&mut state, &path);
        }
    }
    rc
}

/// The directory of `path` is synced: its entries on the disk are the run's.
fn sync_directory(state: &mut State, path: &Path) {
    let directory = path.parent();
    let State {
        names,
        names_on_disk,
        ..
    } = state;
    names_on_disk.retain(|p, _| p.parent() != directory);
    names_on_disk.extend(
        names
            .iter()
            .filter(|(p, _)| p.parent() == directory)
            .map(|(p, i)| (p.clone(), *i)),
    );
}

unsafe extern "C" fn x_close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes each file it opened through us once.
    unsafe {
        let ours = file.cast::<File>();
        let rc = forward!(File::of(file), xClose);
        let mut state = state();
        if !(*ours).tracked.is_null() {
            drop(Box::from_raw((*ours).tracked));
            (*ours).tracked = std::ptr::null_mut();
        }
        state.open = state.open.saturating_sub(1);
        rc
    }
}

unsafe extern "C" fn x_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe { forward!(File::of(file), xRead, buf, amount, offset) }
}

unsafe extern "C" fn x_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: `buf` holds `amount` bytes; the rest is forwarded as SQLite gave it.
    unsafe {
        let ours = File::of(file);
        {
            let mut state = state();
            if state.dead {
                return ffi::SQLITE_IOERR_WRITE;
            }
            if let Some(tracked) = ours.tracked() {
                state.seq += 1;
                let seq = state.seq;
                let bytes = std::slice::from_raw_parts(buf.cast::<u8>(), amount as usize);
                let offset = offset as u64;
                match state.last_write.get_mut(&tracked.inode) {
                    // Writes that continue the last one are one extent, as the page cache
                    // hands them to the disk (a journal record is three writes: page number,
                    // page, checksum).
                    Some(last) if last.offset + last.data.len() as u64 == offset => {
                        last.data.extend_from_slice(bytes);
                        last.seq = seq;
                    }
                    _ => {
                        let write = Write {
                            seq,
                            offset,
                            data: bytes.to_vec(),
                        };
                        state.last_write.insert(tracked.inode, write);
                    }
                }
            }
        }
        forward!(ours, xWrite, buf, amount, offset)
    }
}

unsafe extern "C" fn x_truncate(file: *mut ffi::sqlite3_file, size: ffi::sqlite3_int64) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe {
        let ours = File::of(file);
        {
            let mut state = state();
            if state.dead {
                return ffi::SQLITE_IOERR_TRUNCATE;
            }
            if let Some(tracked) = ours.tracked() {
                // A write followed by a truncate: nothing left to tear.
                state.last_write.remove(&tracked.inode);
            }
        }
        forward!(ours, xTruncate, size)
    }
}

unsafe extern "C" fn x_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe {
        let ours = File::of(file);
        let mut state = state();
        if state.dead {
            return ffi::SQLITE_IOERR_FSYNC;
        }
        let Some(tracked) = ours.tracked() else {
            drop(state);
            return forward!(ours, xSync, flags);
        };
        state.syncs += 1;
        if state.cut_at == Some(state.syncs) {
            state.dead = true;
            state.at_cut = state
                .last_write
                .iter()
                .max_by_key(|(_, write)| write.seq)
                .map(|(inode, write)| (*inode, write.clone()));
            return ffi::SQLITE_IOERR_FSYNC;
        }
        // The model is the disk: what the file holds now is durable. The real fsync is
        // skipped (as with `PRAGMA synchronous = OFF`): it would only make the sweep wait on
        // the machine's disk, and no real power goes out.
        let Ok(bytes) = std::fs::read(&tracked.path) else {
            return ffi::SQLITE_IOERR_FSYNC;
        };
        state.durable[tracked.inode] = bytes;
        state.last_write.remove(&tracked.inode);
        if tracked.sync_directory {
            tracked.sync_directory = false;
            sync_directory(&mut state, &tracked.path);
        }
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn x_file_size(
    file: *mut ffi::sqlite3_file,
    size: *mut ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe { forward!(File::of(file), xFileSize, size) }
}

unsafe extern "C" fn x_lock(file: *mut ffi::sqlite3_file, lock: c_int) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe { forward!(File::of(file), xLock, lock) }
}

unsafe extern "C" fn x_unlock(file: *mut ffi::sqlite3_file, lock: c_int) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe { forward!(File::of(file), xUnlock, lock) }
}

unsafe extern "C" fn x_check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe { forward!(File::of(file), xCheckReservedLock, out) }
}

unsafe extern "C" fn x_file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe { forward!(File::of(file), xFileControl, op, arg) }
}

unsafe extern "C" fn x_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: forwarded as SQLite gave it.
    unsafe {
        let ours = File::of(file);
        match ours.methods().xSectorSize {
            Some(method) => method(ours.real),
            None => SECTOR as c_int,
        }
    }
}

unsafe extern "C" fn x_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    // Nothing is atomic, appends are not safe and writes may land in any order.
    let unsafe_claims = ffi::SQLITE_IOCAP_ATOMIC
        | ffi::SQLITE_IOCAP_ATOMIC512
        | ffi::SQLITE_IOCAP_ATOMIC1K
        | ffi::SQLITE_IOCAP_ATOMIC2K
        | ffi::SQLITE_IOCAP_ATOMIC4K
        | ffi::SQLITE_IOCAP_ATOMIC8K
        | ffi::SQLITE_IOCAP_ATOMIC16K
        | ffi::SQLITE_IOCAP_ATOMIC32K
        | ffi::SQLITE_IOCAP_ATOMIC64K
        | ffi::SQLITE_IOCAP_SAFE_APPEND
        | ffi::SQLITE_IOCAP_SEQUENTIAL
        | ffi::SQLITE_IOCAP_BATCH_ATOMIC;
    // SAFETY: forwarded as SQLite gave it.
    unsafe {
        let ours = File::of(file);
        match ours.methods().xDeviceCharacteristics {
            Some(method) => method(ours.real) & !unsafe_claims,
            None => 0,
        }
    }
}

unsafe extern "C" fn x_shm_map(
    file: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe { forward!(File::of(file), xShmMap, region, size, extend, out) }
}

unsafe extern "C" fn x_shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe { forward!(File::of(file), xShmLock, offset, n, flags) }
}

unsafe extern "C" fn x_shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: forwarded as SQLite gave it.
    unsafe {
        let ours = File::of(file);
        if let Some(barrier) = ours.methods().xShmBarrier {
            barrier(ours.real);
        }
    }
}

unsafe extern "C" fn x_shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    // SAFETY: forwarded as SQLite gave them.
    unsafe { forward!(File::of(file), xShmUnmap, delete) }
}
