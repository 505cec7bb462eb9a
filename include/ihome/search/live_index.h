// LiveIndex: a worker's AvailabilityIndex kept current with SQLite.
// sync() runs before each search: when neither `PRAGMA data_version` nor
// this connection's own change count moved, it costs one pragma; otherwise
// it reads the change log (sql/008_read_path.sql) after the last entry it
// applied and reloads just those houses.  It rebuilds from scratch when it
// has none yet, when entries it needs were pruned, when the log went back
// (a restore) or when its horizon has aged a month.  A stay that holds its
// nights only until a moment (a WAIT_PAYMENT order's pay_by) is remembered
// with it, and the house is reloaded by the first sync() from that second on,
// so the nights are free exactly then, with no write to announce it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ihome/core/result.h"
#include "ihome/search/index.h"
#include "ihome/store/db.h"

namespace ihome {

class LiveIndex {
 public:
  // How far back of today the horizon starts, so a stay asked from
  // yesterday (a client in another time zone) is still answered here.
  static constexpr int64_t kLookBackDays = 2;
  static constexpr int64_t kMaxAgeDays = 30;
  // A worker replays at most this many change-log entries on a request,
  // else rebuilds.  A start from the file replays whatever the log still
  // holds (kLogKept, sql/008): reading back the houses written since the
  // save costs at most one read a house, less than a build from SQL of
  // every house, and a burst of writes just before a restart (more than the
  // job process's save had caught) must not cost a build.
  static constexpr int64_t kMaxChanges = 20000;
  static constexpr int64_t kLogKept = 50000;

  // Up to date with `db`; DBERR when SQLite fails (the index is then dropped
  // and rebuilt on the next call).
  Status sync(Db& db);
  // The index; only after a successful sync().
  const AvailabilityIndex& index() const { return *index_; }

  // The master builds one before it forks (prebuild), so that every worker
  // starts with the index in memory shared copy-on-write instead of each
  // building its own at once; a worker takes it (take_prebuilt) and syncs
  // it on its own connection (the log position carries over, the
  // connection's counters do not).  Respawned workers get the master's copy
  // too and catch up from the change log.
  // `file` (file_for(), or empty for none): read it if restore() may (else
  // build from SQL), then catch up.
  static Status prebuild(Db& db, const std::string& file = {});
  static std::unique_ptr<LiveIndex> take_prebuilt();

  // The index as a file beside the database (index_file.h), so that a start
  // reads it and catches up from the change log instead of building from
  // SQL.  The file names the database (sql/013's token) and the log entry
  // it is current to (its seq, and a hash of the 64 entries up to it).  save() writes it
  // (after a successful sync()); "" or why not.  restore() reads it and
  // refuses, saying why in `why` ("" for no file): a file of another
  // database, an entry the log no longer holds as it was (pruned past, or a
  // restore put another history in place), a damaged file (its hash), or
  // one of another layout.  A restored index's first sync() catches up
  // from that entry, or rebuilds as sync() always does (horizon aged, too
  // many changes).  ihome-restore moves the file aside with the database.
  static std::string file_for(const std::string& db_path) { return db_path + ".index"; }
  std::string save(Db& db, const std::string& path) const;
  static std::unique_ptr<LiveIndex> restore(Db& db, const std::string& path, std::string& why);
  // A file's header, unchecked: for deciding when to save again.
  struct FileStamp {
    std::string token;  // the database's
    int64_t seq = 0;
    int64_t base_day = 0;
    int64_t saved_at = 0;  // unix time
  };
  static std::optional<FileStamp> peek(const std::string& path);
  int64_t seq() const { return seq_; }
  // Whether restore() made it (else a build from SQL did).
  bool from_file() const { return from_file_; }

  uint64_t rebuilds() const { return rebuilds_; }
  uint64_t applied() const { return applied_; }

 private:
  Status rebuild(Db& db, int64_t now);
  Status catch_up(Db& db, int64_t now);
  Status expire(Db& db, int64_t now);
  // Puts a house into the index and remembers when its stays stop holding.
  void load(const IndexedHouse& house, const std::vector<BusyStay>& stays);

  std::unique_ptr<AvailabilityIndex> index_;
  int64_t seq_ = 0;
  ChangeStamp seen_;
  std::multimap<int64_t, int64_t> expiries_;  // unix time -> house whose stay stops holding then
  bool from_file_ = false;
  int64_t max_changes_ = kMaxChanges;  // until the first sync() of a restored index: kLogKept
  uint64_t rebuilds_ = 0;
  uint64_t applied_ = 0;
};

}  // namespace ihome
