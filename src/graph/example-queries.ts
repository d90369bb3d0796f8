/** The ready-made query GraphiQL opens on in sandbox mode: a page of customers with their whole picture. */
export const CUSTOMER_360_QUERY = `# Customer 360: each customer as the CRM, calendar, payments and accounts see them.
query Customer360($first: Int = 10) {
  customers(first: $first) {
    totalCount
    edges {
      node {
        id
        displayName
        email
        phone
        links { system externalId url }
        bookings(first: 5) { totalCount edges { node { title start status } } }
        orders(first: 5) { edges { node { description status amount { formatted } amountRefunded { formatted } } } }
        invoices(first: 5) { edges { node { number status total { formatted } amountDue { formatted } overdue } } }
        outstandingBalance { formatted }
        lifetimeValue { formatted }
        syncIssues { kind field message }
      }
    }
  }
}
`;
