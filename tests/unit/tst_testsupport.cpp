// The test support library's own helpers, where a wrong answer would make other suites flaky.
#include "tests/support/testsupport.h"

#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace testsupport;

class TestSupport : public QObject
{
    Q_OBJECT

private slots:
    // Two messages written within one tick of the file system's clock share their mtime. The
    // file transport names each file after its clock, so the later message still comes last.
    void emlFilesKeepWriteOrderWhenTimesTie()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QStringList names{QStringLiteral("20261201-100000-aaa.eml"),
                                QStringLiteral("20261201-101000-bbb.eml"),
                                QStringLiteral("20261201-102000-ccc.eml")};
        const QDateTime same = QDateTime::currentDateTime().addSecs(-60);
        for (const QString &n : names) {
            QFile f(dir.filePath(n));
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.setFileTime(same, QFileDevice::FileModificationTime));
        }
        // An older file with a later name still sorts first: the mtime decides when it differs.
        QFile older(dir.filePath(QStringLiteral("20261201-235959-zzz.eml")));
        QVERIFY(older.open(QIODevice::WriteOnly));
        QVERIFY(older.setFileTime(same.addSecs(-30), QFileDevice::FileModificationTime));
        older.close();

        QStringList got;
        for (const QString &p : emlFiles(dir.path()))
            got << p.section(u'/', -1);
        QCOMPARE(got, QStringList{QStringLiteral("20261201-235959-zzz.eml")} + names);
    }

    // TestOrg::deliver() names its files so that, with their mtimes tied, emlFiles() still gives
    // them in the order they were delivered (message ids are random: by id, half the pairs of
    // one second came back reversed, and a test read a superseded token).
    void deliveredMailKeepsItsOrderWhenTimesTie()
    {
        TestOrg org;
        QVERIFY2(org.isValid(), qPrintable(org.error()));
        QStringList order;
        for (int i = 0; i < 12; ++i) {
            const QString email = QStringLiteral("user%1@example.com").arg(i);
            QVERIFY(org.addUnconfirmedUser(email, QStringLiteral("User")) > 0);
            QCOMPARE(org.deliver(), 1);
            order << email;
        }
        const QDateTime same = QDateTime::currentDateTime().addSecs(-60);
        for (const QString &path : emlFiles(org.mailDir())) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadWrite));
            QVERIFY(f.setFileTime(same, QFileDevice::FileModificationTime));
        }
        QStringList got;
        for (const QString &path : emlFiles(org.mailDir())) {
            const QByteArray m = readFile(path);
            for (const QString &email : order)
                if (m.contains(email.toLatin1()))
                    got << email;
        }
        QCOMPARE(got, order);
    }
};

QTEST_GUILESS_MAIN(TestSupport)
#include "tst_testsupport.moc"
