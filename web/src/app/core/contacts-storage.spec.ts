import { ContactsStorage, contactsKey, parseContacts } from './contacts-storage';

describe('ContactsStorage', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => localStorage.clear());

  it('keeps one list per signed-in user', () => {
    const store = new ContactsStorage();
    store.save(1, [{ id: 2, username: 'bob' }]);
    store.save(7, [{ id: 3, username: 'Carol' }]);
    expect(store.load(1)).toEqual([{ id: 2, username: 'bob' }]);
    expect(store.load(7)).toEqual([{ id: 3, username: 'Carol' }]);
    expect(store.load(9)).toEqual([]);
    expect(JSON.parse(localStorage.getItem(contactsKey(1))!)).toEqual([{ id: 2, username: 'bob' }]);
  });

  it('an empty list removes the key', () => {
    const store = new ContactsStorage();
    store.save(1, [{ id: 2, username: 'bob' }]);
    store.save(1, []);
    expect(localStorage.getItem(contactsKey(1))).toBeNull();
  });

  it('drops what it cannot read', () => {
    expect(parseContacts(null)).toEqual([]);
    expect(parseContacts('not json')).toEqual([]);
    expect(parseContacts('{"id": 1}')).toEqual([]);
    expect(
      parseContacts(
        JSON.stringify([
          { id: 2, username: 'bob' },
          { id: '3', username: 'x' },
          null,
          { id: 2, username: 'again' },
          { id: 4 },
          { id: 5, username: 'eve' },
        ]),
      ),
    ).toEqual([
      { id: 2, username: 'bob' },
      { id: 5, username: 'eve' },
    ]);
    const many = JSON.stringify(Array.from({ length: 1200 }, (_, i) => ({ id: i + 1, username: `u${i}` })));
    expect(parseContacts(many).length).toBe(1000);
  });
});
