#include "ui/smtppasswordstore.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QEventLoop>
#include <QTimer>

#include <qt6keychain/keychain.h>

namespace roster {

namespace {
QString tr(const char *s)
{
    return QCoreApplication::translate("SmtpPasswordStore", s);
}

constexpr int timeoutMs = 5000;

// Runs a job to its end or the timeout; false on timeout.
bool runJob(QKeychain::Job &job)
{
    QEventLoop loop;
    bool finished = false;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, [&] {
        finished = true;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    job.setAutoDelete(false);
    job.start();
    if (!finished)
        loop.exec();
    return finished;
}
} // namespace

bool SmtpPasswordStore::enabled()
{
    return qEnvironmentVariableIsEmpty("ROSTER_NO_KEYRING");
}

QString SmtpPasswordStore::serviceName()
{
    return QStringLiteral("org.roster.Roster");
}

QString SmtpPasswordStore::keyFor(const QString &databaseId)
{
    // Derived, not the id itself: the keyring's entry names are visible to every program.
    const QByteArray input = QByteArrayLiteral("roster smtp password\n") + databaseId.toUtf8();
    const QByteArray h = QCryptographicHash::hash(input, QCryptographicHash::Sha256);
    return QStringLiteral("smtp-password-") + QString::fromLatin1(h.toHex().left(32));
}

std::optional<QByteArray> SmtpPasswordStore::read(const QString &databaseId, QString *error)
{
    if (!enabled())
        return std::nullopt;
    QKeychain::ReadPasswordJob job(serviceName());
    job.setInsecureFallback(false);
    job.setKey(keyFor(databaseId));
    if (!runJob(job)) {
        if (error)
            *error = tr("the keyring did not answer");
        return std::nullopt;
    }
    if (job.error() != QKeychain::NoError) {
        if (error)
            *error = job.errorString();
        return std::nullopt;
    }
    return job.binaryData();
}

void SmtpPasswordStore::remove(const QString &databaseId)
{
    if (!enabled())
        return;
    QKeychain::DeletePasswordJob job(serviceName());
    job.setInsecureFallback(false);
    job.setKey(keyFor(databaseId));
    runJob(job);
}

} // namespace roster
