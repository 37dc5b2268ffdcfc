#include "app/mail/filetransport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace roster;
using namespace Qt::StringLiterals;

namespace {

const QDateTime FixedTime(QDate(2024, 1, 15), QTime(14, 30, 5));

OutgoingMessage message(const QByteArray &id, const QByteArray &data)
{
    OutgoingMessage m;
    m.outboxId = 7;
    m.envelopeFrom = "noreply@acme.example";
    m.recipients = {"jane@example.com"};
    m.messageId = id;
    m.data = data;
    return m;
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestFileTransport : public QObject
{
    Q_OBJECT

private slots:
    void writesOneFilePerMessage();
    void createsMissingDirectory();
    void fileNamesStayInTheFolder_data();
    void fileNamesStayInTheFolder();
    void replacesAtomically();
    void folderIsAFile();
    void targetCannotBeReplaced();
    void permissionDenied();
    void emptyMessageIsPermanent();
    void noDirectoryConfigured();
    void filesAndFoldersArePrivate();
};

void TestFileTransport::writesOneFilePerMessage()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    FileTransport transport(dir.path());
    transport.setClock([] { return FixedTime; });
    const QByteArray first = "Subject: one\r\n\r\nBody one\r\n";
    const QByteArray second = "Subject: two\r\n\r\nBody two\r\n";
    const QList<DeliveryResult> results =
        transport.deliver({message("a1@acme.example", first), message("b2@acme.example", second)});
    QCOMPARE(results.size(), 2);
    for (const DeliveryResult &result : results) {
        QCOMPARE(result.outcome, DeliveryResult::Outcome::Sent);
        QVERIFY(!result.connectionError);
    }
    QCOMPARE(readAll(dir.filePath(u"20240115-143005-a1@acme.example.eml"_s)), first);
    QCOMPARE(readAll(dir.filePath(u"20240115-143005-b2@acme.example.eml"_s)), second);
    // Nothing else: no temporary file left behind.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::System).size(), 2);
}

void TestFileTransport::createsMissingDirectory()
{
    QTemporaryDir dir;
    const QString nested = dir.filePath(u"mail/out/box"_s);
    FileTransport transport(nested);
    transport.setClock([] { return FixedTime; });
    const auto results = transport.deliver({message("x@acme.example", "data\r\n")});
    QCOMPARE(results.first().outcome, DeliveryResult::Outcome::Sent);
    QVERIFY(QFile::exists(nested + u"/20240115-143005-x@acme.example.eml"_s));
}

void TestFileTransport::fileNamesStayInTheFolder_data()
{
    QTest::addColumn<QByteArray>("messageId");
    QTest::addColumn<QString>("fileName");
    QTest::newRow("slashes") << "../../etc/passwd@x"_ba
                             << u"20240115-143005-.._.._etc_passwd@x.eml"_s;
    QTest::newRow("dot dot") << ".."_ba << u"20240115-143005-...eml"_s;
    QTest::newRow("controls") << "a\r\nb\0c"_ba << u"20240115-143005-a__b_c.eml"_s;
    QTest::newRow("empty") << QByteArray() << u"20240115-143005-message-7.eml"_s;
}

void TestFileTransport::fileNamesStayInTheFolder()
{
    QFETCH(QByteArray, messageId);
    QFETCH(QString, fileName);
    QCOMPARE(FileTransport::fileName(message(messageId, "x"), FixedTime), fileName);
    QTemporaryDir dir;
    FileTransport transport(dir.filePath(u"out"_s));
    transport.setClock([] { return FixedTime; });
    QCOMPARE(transport.deliver({message(messageId, "x")}).first().outcome,
             DeliveryResult::Outcome::Sent);
    QVERIFY(QFile::exists(dir.filePath(u"out/"_s + fileName)));
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot),
             QStringList{u"out"_s});
}

// A reader that has the old file open keeps seeing the old bytes: the new message was
// written elsewhere and renamed over it, never written into the file being read.
void TestFileTransport::replacesAtomically()
{
    QTemporaryDir dir;
    FileTransport transport(dir.path());
    transport.setClock([] { return FixedTime; });
    const QString path =
        dir.filePath(FileTransport::fileName(message("m@x.example", {}), FixedTime));
    {
        QFile old(path);
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("old message\r\n");
    }
    QFile reader(path);
    QVERIFY(reader.open(QIODevice::ReadOnly));
    QCOMPARE(transport.deliver({message("m@x.example", "new message\r\n")}).first().outcome,
             DeliveryResult::Outcome::Sent);
    QCOMPARE(reader.readAll(), "old message\r\n"_ba);
    QCOMPARE(readAll(path), "new message\r\n"_ba);
}

void TestFileTransport::folderIsAFile()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"not-a-folder"_s);
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    for (const QString &target : QStringList{file, file + u"/sub"_s}) {
        FileTransport transport(target);
        const auto results =
            transport.deliver({message("a@x.example", "1"), message("b@x.example", "2")});
        QCOMPARE(results.size(), 2);
        for (const DeliveryResult &result : results) {
            QCOMPARE(result.outcome, DeliveryResult::Outcome::Temporary);
            QVERIFY(result.connectionError);
            QVERIFY2(result.reply.contains(QDir::toNativeSeparators(target)),
                     qPrintable(result.reply));
            QVERIFY(!result.reply.contains(u'\n'));
        }
    }
}

// The folder exists but the file cannot be put in place (a folder of that name is in the way):
// the write fails after the temporary file was made, and nothing is left behind.
void TestFileTransport::targetCannotBeReplaced()
{
    QTemporaryDir dir;
    FileTransport transport(dir.path());
    transport.setClock([] { return FixedTime; });
    const QString name = FileTransport::fileName(message("m@x.example", {}), FixedTime);
    QVERIFY(QDir(dir.path()).mkpath(name + u"/inside"_s));
    const DeliveryResult result = transport.deliver({message("m@x.example", "data")}).first();
    qInfo("%s", qPrintable(result.reply));
    QCOMPARE(result.outcome, DeliveryResult::Outcome::Temporary);
    QVERIFY(result.connectionError);
    QVERIFY2(result.reply.startsWith(u"Cannot write to "_s + dir.path() + u": "_s),
             qPrintable(result.reply));
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
             QStringList{name});
}

void TestFileTransport::permissionDenied()
{
    if (::geteuid() == 0)
        QSKIP("root writes into read-only folders; folderIsAFile and targetCannotBeReplaced "
              "cover the error path");
    QTemporaryDir dir;
    QVERIFY(QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    FileTransport transport(dir.path());
    const DeliveryResult result = transport.deliver({message("m@x.example", "data")}).first();
    QFile::setPermissions(dir.path(),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qInfo("%s", qPrintable(result.reply));
    QCOMPARE(result.outcome, DeliveryResult::Outcome::Temporary);
    QVERIFY(result.connectionError);
    QVERIFY2(result.reply.startsWith(u"Cannot write to "_s + dir.path() + u": "_s),
             qPrintable(result.reply));
    QVERIFY2(result.reply.contains(u"ermission denied"_s), qPrintable(result.reply));
}

void TestFileTransport::emptyMessageIsPermanent()
{
    QTemporaryDir dir;
    FileTransport transport(dir.path());
    const auto results =
        transport.deliver({message("a@x.example", {}), message("b@x.example", "x")});
    QCOMPARE(results.at(0).outcome, DeliveryResult::Outcome::Permanent);
    QVERIFY(!results.at(0).connectionError);
    QCOMPARE(results.at(1).outcome, DeliveryResult::Outcome::Sent);
}

void TestFileTransport::noDirectoryConfigured()
{
    FileTransport transport{QString()};
    const DeliveryResult result = transport.deliver({message("a@x.example", "x")}).first();
    QCOMPARE(result.outcome, DeliveryResult::Outcome::Temporary);
    QVERIFY(result.connectionError);
    QVERIFY(!result.reply.isEmpty());
}

namespace {
mode_t modeOf(const QString &path)
{
    struct stat st = {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? (st.st_mode & 07777) : 07777;
}
} // namespace

// The files carry working invitation links: 0600 files in 0700 folders, whatever the umask
// (0 here, the most permissive), also when a file is replaced.
void TestFileTransport::filesAndFoldersArePrivate()
{
    const mode_t old = ::umask(0);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString nested = dir.filePath(u"mail/out"_s);
    FileTransport transport(nested);
    transport.setClock([] { return FixedTime; });
    const QList<DeliveryResult> results =
        transport.deliver({message("a@x.example", "one\r\n"), message("a@x.example", "again\r\n")});
    ::umask(old);
    QCOMPARE(results.size(), 2);
    QCOMPARE(results.at(0).outcome, DeliveryResult::Outcome::Sent);
    QCOMPARE(results.at(1).outcome, DeliveryResult::Outcome::Sent);
    const QString file =
        nested + u'/' + FileTransport::fileName(message("a@x.example", {}), FixedTime);
    QCOMPARE(readAll(file), "again\r\n"_ba);
    QCOMPARE(modeOf(file), mode_t(0600));
    QCOMPARE(modeOf(nested), mode_t(0700));
    QCOMPARE(modeOf(dir.filePath(u"mail"_s)), mode_t(0700));
    QCOMPARE(QDir(nested).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).size(),
             1);
}

QTEST_GUILESS_MAIN(TestFileTransport)
#include "tst_filetransport.moc"
