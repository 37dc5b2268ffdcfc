#pragma once

#include "app/outbox.h"

#include <memory>
#include <thread>

namespace roster {

// Sends a bulk re-invite's mail while the re-invite still writes it (issue 16): a thread of its
// own, with its own connection to the database and its own transport, delivers the mail of each
// batch of users as soon as that batch has committed, while the caller's thread writes the next.
// It is Outbox::deliverDue() on the rows queued for those users since start(), so every guarantee
// of deliverDue() holds: claims, each result written after its reply, a crash resending at most
// what is in flight. What it could not send (a connection or database error) stays queued, for
// the caller's own delivery afterwards.
class BackgroundDelivery
{
public:
    // `location` opens the database again on the delivery thread (Database::open).
    BackgroundDelivery(QString location, const Clock &clock, const Sealer &sealer,
                       const OrgSettings &settings);
    ~BackgroundDelivery(); // finish() when not called
    BackgroundDelivery(const BackgroundDelivery &) = delete;
    BackgroundDelivery &operator=(const BackgroundDelivery &) = delete;

    // Notes where this run's mail starts (the outbox's highest id now, read on `db`) and starts
    // the thread. Call before the first batch is written.
    Status start(Database &db);
    // The users of a batch that has committed: their mail goes out now.
    void committed(const QList<qint64> &userIds);
    // Waits until the mail of every batch handed over has its result; the reports, in order.
    // Its error (the thread could not open the database, a database failure) is for the log:
    // the mail it did not send is still queued.
    QList<DeliveryReport> finish(QString *error = nullptr);

private:
    struct Shared;
    void run();
    std::shared_ptr<Shared> m_shared;
    std::thread m_thread;
};

} // namespace roster
