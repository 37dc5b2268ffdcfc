// Views, search and sort as SQL (STYLE.md rule 3), on both engines: what the list shows.
#include "models/userfilter.h"
#include "models/userrepository.h"
#include "testsupport.h"

#include <QTest>

using namespace roster;
using namespace testsupport;

class TestUserRepository : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

    QStringList names(UserFilter f, bool fromEnd = false)
    {
        UserRepository repo(org->db());
        auto n = repo.count(f);
        auto rows = repo.fetch(f, 0, 1000, fromEnd);
        // Given the count, a search with few matches is planned another way on PostgreSQL:
        // the same rows in the same order.
        auto planned = repo.fetch(f, 0, 1000, fromEnd, n ? n.value() : -1);
        if (!n || !rows || !planned)
            return {QStringLiteral("error")};
        QStringList out;
        for (const UserRecord &u : rows.value())
            out << u.name;
        QStringList again;
        for (const UserRecord &u : planned.value())
            again << u.name;
        if (again != out)
            out << QStringLiteral("plan mismatch");
        if (out.size() != n.value())
            out << QStringLiteral("count mismatch %1").arg(n.value());
        // The count with the first page (one statement on PostgreSQL): the same count, the same
        // first rows.
        for (const int limit : {1000, 2, 1}) {
            auto both = repo.countWithFirstPage(f, limit);
            if (!both)
                return {QStringLiteral("error")};
            QStringList first;
            for (const UserRecord &u : both->rows)
                first << u.name;
            if (both->count != n.value())
                out << QStringLiteral("combined count %1").arg(both->count);
            if (first != out.mid(0, limit))
                out << QStringLiteral("combined rows %1").arg(first.join(u','));
        }
        return out;
    }
    UserFilter search(const QString &text)
    {
        UserFilter f;
        f.search = text;
        return f;
    }

private slots:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
        for (const auto &[email, name] : QList<QPair<QString, QString>>{
                 {QStringLiteral("anna.bauer@x.example"), QStringLiteral("Anna Bauer")},
                 {QStringLiteral("h.mueller@x.example"), QStringLiteral("Hannah Müller")},
                 {QStringLiteral("jo@obrien.example"), QStringLiteral("Jo O'Brien")},
                 {QStringLiteral("pure@x.example"), QStringLiteral("100% Pure")},
                 {QStringLiteral("us@x.example"), QStringLiteral("Under_Score")},
                 {QStringLiteral("zed@annex.example"), QStringLiteral("Zed Zulu")}})
            QVERIFY(org->addUnconfirmedUser(email, name, UserKind::Crm) > 0);
    }
    void cleanup() { org.reset(); }

    void substringFromThreeCharacters()
    {
        QCOMPARE(names(search(QStringLiteral("ann"))),
                 (QStringList{QStringLiteral("Anna Bauer"), QStringLiteral("Hannah Müller"),
                              QStringLiteral("Zed Zulu")}));
        QCOMPARE(names(search(QStringLiteral("MÜLL"))),
                 QStringList{QStringLiteral("Hannah Müller")});
        QCOMPARE(names(search(QStringLiteral("o'br"))), QStringList{QStringLiteral("Jo O'Brien")});
        QCOMPARE(names(search(QStringLiteral("anna b"))),
                 QStringList{QStringLiteral("Anna Bauer")});
        QCOMPARE(names(search(QStringLiteral("annabel"))), QStringList{});
    }

    void likeMetacharactersAreLiteral()
    {
        QCOMPARE(names(search(QStringLiteral("100%"))), QStringList{QStringLiteral("100% Pure")});
        QCOMPARE(names(search(QStringLiteral("r_s"))), QStringList{QStringLiteral("Under_Score")});
        QCOMPARE(names(search(QStringLiteral("r%s"))), QStringList{});
        QCOMPARE(names(search(QStringLiteral("\"; DROP TABLE users; --"))), QStringList{});
        QCOMPARE(names(search(QStringLiteral("\"\"\""))), QStringList{});
    }

    void shortTextMatchesTheStartOfNameOrEmail()
    {
        QCOMPARE(names(search(QStringLiteral("an"))), QStringList{QStringLiteral("Anna Bauer")});
        QCOMPARE(names(search(QStringLiteral("h"))), QStringList{QStringLiteral("Hannah Müller")});
        QCOMPARE(names(search(QStringLiteral("u"))),
                 QStringList{QStringLiteral("Under_Score")}); // name and email both start with u
        QCOMPARE(names(search(QStringLiteral("JO"))), QStringList{QStringLiteral("Jo O'Brien")});
    }

    void searchFollowsRenamesAndSurvivesDeletes()
    {
        QVERIFY(org->db().exec(
            QStringLiteral("UPDATE users SET name = 'Anneliese Bauer', name_key = 'anneliese "
                           "bauer' WHERE email = 'anna.bauer@x.example'")));
        QCOMPARE(names(search(QStringLiteral("annel"))),
                 QStringList{QStringLiteral("Anneliese Bauer")});
        QCOMPARE(names(search(QStringLiteral("anna b"))), QStringList{});
    }

    void fetchingFromTheEndGivesTheSameRows()
    {
        for (const auto sort :
             {UserFilter::Sort::Name, UserFilter::Sort::Email, UserFilter::Sort::Status,
              UserFilter::Sort::Invited, UserFilter::Sort::Profile}) {
            for (const bool desc : {false, true}) {
                UserFilter f;
                f.sort = sort;
                f.descending = desc;
                UserRepository repo(org->db());
                const auto all = repo.fetch(f, 0, 100).value();
                QCOMPARE(all.size(), 7);
                const auto lastThree = repo.fetch(f, 0, 3, true).value();
                QCOMPARE(lastThree.size(), 3);
                for (int i = 0; i < 3; ++i)
                    QCOMPARE(lastThree.at(i).id, all.at(4 + i).id);
                const auto middle = repo.fetch(f, 2, 2, true).value(); // rows 3 and 4 (0-based)
                QCOMPARE(middle.at(0).id, all.at(3).id);
                QCOMPARE(middle.at(1).id, all.at(4).id);
            }
        }
    }

    void statusSortPutsInactiveThenConfirmedThenUnconfirmedByExpiry()
    {
        QVERIFY(org->db().exec(
            QStringLiteral("UPDATE users SET active = 0 WHERE email = 'zed@annex.example'")));
        UserFilter f;
        f.sort = UserFilter::Sort::Status;
        const QStringList n = names(f);
        QCOMPARE(n.first(), QStringLiteral("Zed Zulu"));
        QCOMPARE(n.at(1), QStringLiteral("Ada Admin"));
    }

    void viewsAreWhereClauses()
    {
        UserFilter f;
        f.view = UserView::Unconfirmed;
        QCOMPARE(names(f).size(), 6);
        f.view = UserView::Admins;
        QCOMPARE(names(f), QStringList{QStringLiteral("Ada Admin")});
        f.view = UserView::Confirmed;
        QCOMPARE(names(f), QStringList{QStringLiteral("Ada Admin")});
        f.view = UserView::ExpiringSoon;
        f.nowMs = org->clock().nowMs() + 6 * msPerDay;
        QCOMPARE(names(f).size(), 6);
        f.nowMs = org->clock().nowMs();
        QCOMPARE(names(f).size(), 0);
        f.view = UserView::FailedMail;
        QVERIFY(org->db().exec(QStringLiteral(
            "UPDATE users SET mail_state = 'failed' WHERE email = 'pure@x.example'")));
        QCOMPARE(names(f), QStringList{QStringLiteral("100% Pure")});
        f.view = UserView::All;
        f.kind = UserKind::Portal;
        QCOMPARE(names(f), QStringList{});
    }

    void searchesInEveryViewAndOrderCountWithTheirFirstPage()
    {
        // names() compares countWithFirstPage() with count() and fetch(): a search by name or
        // email is one statement on PostgreSQL, the views' joins and binds included.
        QVERIFY(org->db().exec(
            QStringLiteral("UPDATE users SET active = 0 WHERE email = 'zed@annex.example'")));
        for (const UserView view :
             {UserView::All, UserView::Active, UserView::Inactive, UserView::Unconfirmed,
              UserView::Confirmed, UserView::Admins, UserView::ExpiringSoon}) {
            for (const auto sort : {UserFilter::Sort::Name, UserFilter::Sort::Email}) {
                for (const bool desc : {false, true}) {
                    for (const QString &text : {QStringLiteral("a"), QStringLiteral("ann"),
                                                QStringLiteral("example"), QStringLiteral("zz")}) {
                        UserFilter f = search(text);
                        f.view = view;
                        f.sort = sort;
                        f.descending = desc;
                        f.nowMs = org->clock().nowMs() + 6 * msPerDay;
                        const QStringList n = names(f);
                        for (const QString &line : n)
                            QVERIFY2(!line.contains(u"mismatch") && !line.startsWith(u"combined") &&
                                         line != u"error",
                                     qPrintable(n.join(u'|')));
                    }
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestUserRepository)
#include "tst_userrepository.moc"
